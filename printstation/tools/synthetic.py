"""Synthetic residents of Kota Kupang, for the demo, training and tests.

Everything is made up but shaped like the real thing: names that mix Christian
given names with Timorese, Rotenese and Sabunese family names, NIKs that agree with
birth date and sex, addresses in the city's districts and villages, a drawn
portrait on the red or blue background, a scribbled signature and two fingerprint
minutiae templates. The same seed always gives the same residents.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageDraw

from printstation.intake.bundle import BundleEntry
from printstation.intake.minutiae import Minutia, MinutiaType, build_fmr
from printstation.intake.nik import make_nik
from printstation.intake.regions import Regions
from printstation.records import Address, CardRecord, EnrolmentMedia, Fingerprint, Sex

WITA = timezone(timedelta(hours=8), "WITA")
CITY = "5371"
#: e-KTP recording began in 2011.
RECORDING_START = date(2011, 8, 1)
MAX_NAME = 50
PHOTO_SIZE = (360, 480)
SIGNATURE_SIZE = (480, 180)
FINGER_IMAGE = (256, 360)


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


MALE = _words(
    "YOHANES FRANSISKUS YOSEF PETRUS DOMINGGUS MARKUS PAULUS YAKOBUS SEMUEL DANIEL "
    "MIKAEL ALFONSUS ARNOLDUS BERNADUS KORNELIS ABRAHAM ELIAS FERDINAND GABRIEL HENDRIK "
    "ISAK LAURENSIUS MATHEUS NIKOLAUS OKTOVIANUS ROBERTUS SIMON STEFANUS THOMAS "
    "VINSENSIUS WILHELMUS YULIUS AGUSTINUS ANDREAS ANTONIUS DOMINIKUS EMANUEL FILIPUS "
    "GREGORIUS LUKAS MARSELINUS YEREMIAS ZAKARIAS YUNUS RIKARDUS JONI FREDI ADRIANUS"
)
FEMALE = _words(
    "MARIA AGUSTINA MARTHA YULIANA SELFIANA MAGDALENA ELISABETH FRANSISKA KRISTINA "
    "YOHANA MARGARETA REGINA ROSALINA SERAFINA ANASTASIA DOROTEA HELENA IMELDA KATARINA "
    "LUSIA MARSELINA NOVITA OKTAVIANA PAULINA RAHEL SARA SUSANA THERESIA VERONIKA "
    "YOSEFINA DEBORA ESTER LIDIA MERLIN DESI YANTI NOVI DORKAS SANTI ANGELINA"
)
FAMILY = (
    *_words(
        "NDOLU BENU MANAFE TOULASIK FANGGIDAE KOLO LAKE NALLE TALLO SERAN BIRE DJAMI HAWU "
        "RIHI LEDO MESAKH PELLO ADOE AMALO BANUNAEK DETHAN FOEH HENUK LIUNOKAS LOUK MALELAK "
        "NENOBAIS NITBANI RIWU SELAN SINLAE TEFA TOENLIOE NDUN NUBATONIS SAEKOKO TIMO DIMU "
        "KANA NAHAK MAUK BESSIE SOLI UDJU WADU DOKO HAGA LENGGU OEMATAN PANDIE KORE"
    ),
    "DA SILVA",
    "DA COSTA",
    "DE ROSARI",
    "DA CUNHA",
)
MUSLIM_MALE = _words("AHMAD MUHAMMAD ABDUL HASAN RAHMAT YUSUF ARIF SYAMSUDIN RIDWAN IBRAHIM")
MUSLIM_FEMALE = _words("SITI NURHAYATI FATIMAH AMINAH AISYAH HALIMAH RAHMAWATI NURUL KHADIJAH")
MUSLIM_SECOND = _words("RAHMAN HIDAYAT FAUZI SALEH HAMID KURNIAWAN WAHYUNI SAFITRI LESTARI")
BIRTH_PLACES = ("KUPANG",) * 12 + _words(
    "SOE KEFAMENANU ATAMBUA BA'A SEBA KALABAHI LARANTUKA MAUMERE ENDE BAJAWA RUTENG "
    "WAINGAPU WAIKABUBAK LEWOLEBA BETUN OELAMASI CAMPLONG"
)
STREETS = _words(
    "EL TARI|W.J. LALAMENTIK|FRANS SEDA|TIMOR RAYA|SOEKARNO|AHMAD YANI|JEND. SUDIRMAN|"
    "PIET A. TALLO|H.R. KOROH|ADI SUCIPTO|CAK DOKO|KELIMUTU|MOHAMMAD HATTA|NANGKA|"
    "JAMBU|CENDANA|BAJAWA|AMABI|SAM RATULANGI|MATANI|PERINTIS KEMERDEKAAN I|R.A. KARTINI|"
    "SUMBA|ALOR|FLORES|ROTE|KAMBOJA|KENARI|TIMOR TIMUR|PROF. DR. HERMAN JOHANNES|"
    "MANULAI|OEKAM|KETAPANG|SUKUN|BUNDARAN PU|RANTAI DAMAI",
    "|",
)
ALLEYS = _words("MAWAR|MELATI|ANGGREK|CEMPAKA|KASUARI|NURI|FLAMBOYAN|DAMAI|SEJAHTERA", "|")
RELIGIONS = (
    ("KRISTEN", 62), ("KATOLIK", 22), ("ISLAM", 12), ("HINDU", 2), ("BUDDHA", 1),
    ("KHONGHUCU", 0.5), ("KEPERCAYAAN TERHADAP TUHAN YME", 0.5),
)  # fmt: skip
BLOOD = (("O", 30), ("A", 20), ("B", 20), ("AB", 5), ("-", 25))
ADULT_JOBS = (
    ("WIRASWASTA", 16), ("PEGAWAI NEGERI SIPIL", 12), ("KARYAWAN SWASTA", 12),
    ("PETANI/PEKEBUN", 8), ("NELAYAN/PERIKANAN", 4), ("GURU", 6), ("PEDAGANG", 6),
    ("SOPIR", 4), ("BURUH HARIAN LEPAS", 6), ("PERAWAT", 2), ("BIDAN", 1), ("DOSEN", 1),
    ("TENTARA NASIONAL INDONESIA", 2), ("KEPOLISIAN RI", 2), ("TUKANG KAYU", 2),
    ("PENDETA", 1), ("KARYAWAN HONORER", 4), ("BELUM/TIDAK BEKERJA", 5),
)  # fmt: skip
OTHER_REGENCIES = ("5301", "5302", "5303", "5304", "5305", "5314", "5320", "5306", "5307")
RED = (205, 32, 44)
BLUE = (28, 88, 196)


@dataclass(frozen=True)
class SyntheticResident:
    record: CardRecord
    photo_jpeg: bytes
    signature_png: bytes
    fingerprints: tuple[Fingerprint, Fingerprint]

    @property
    def media(self) -> EnrolmentMedia:
        return EnrolmentMedia(self.photo_jpeg, self.signature_png, self.fingerprints)


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _name(rng: random.Random, sex: Sex, religion: str) -> str:
    if religion == "ISLAM":
        first = rng.choice(MUSLIM_MALE if sex == "L" else MUSLIM_FEMALE)
        return f"{first} {rng.choice(MUSLIM_SECOND)}"
    given = MALE if sex == "L" else FEMALE
    names = rng.sample(given, rng.choices((1, 2, 3, 4), weights=(30, 45, 20, 5))[0])
    family = [rng.choice(FAMILY)]
    if rng.random() < 0.1:  # a double family name, e.g. mother's and father's
        family.append(rng.choice([f for f in FAMILY if f != family[0]]))
    while len(" ".join(names + family)) > MAX_NAME and len(names) > 1:
        names.pop()
    return " ".join(names + family)


def _street(rng: random.Random) -> str:
    street = f"JL. {rng.choice(STREETS)}"
    if rng.random() < 0.25:
        street += f" GG. {rng.choice(ALLEYS)}"
    number = str(rng.randint(1, 150))
    if rng.random() < 0.1:
        number += rng.choice("ABC")
    return f"{street} NO. {number}"


def _occupation(rng: random.Random, age: int, sex: Sex) -> str:
    if age <= 23 and rng.random() < 0.75:
        return "PELAJAR/MAHASISWA"
    if age >= 60 and rng.random() < 0.45:
        return "PENSIUNAN"
    if sex == "P" and rng.random() < 0.3:
        return "MENGURUS RUMAH TANGGA"
    while True:
        job = _weighted(rng, ADULT_JOBS)
        if (job, sex) not in (("BIDAN", "L"), ("SOPIR", "P")):
            return job


def _marital(rng: random.Random, age: int) -> str:
    if age < 21:
        return "BELUM KAWIN" if rng.random() < 0.92 else "KAWIN"
    if age < 30:
        return _weighted(rng, (("BELUM KAWIN", 50), ("KAWIN", 47), ("CERAI HIDUP", 3)))
    if age < 60:
        return _weighted(
            rng, (("BELUM KAWIN", 8), ("KAWIN", 80), ("CERAI HIDUP", 5), ("CERAI MATI", 7))
        )
    return _weighted(rng, (("KAWIN", 60), ("CERAI MATI", 35), ("CERAI HIDUP", 5)))


def _birth_date(rng: random.Random, today: date) -> date:
    age = rng.choices(range(17, 81), weights=[max(1, 90 - a) for a in range(17, 81)])[0]
    latest = date(today.year - age, today.month, min(today.day, 28))
    return latest - timedelta(days=rng.randint(0, 364))


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _when(rng: random.Random, born: date, today: date) -> tuple[datetime, datetime]:
    seventeen = date(born.year + 17, born.month, min(born.day, 28))
    first = max(RECORDING_START, seventeen - timedelta(days=30))
    last = today - timedelta(days=2)
    day = first + timedelta(days=rng.randint(0, max(0, (last - first).days)))
    recorded = datetime.combine(day, time(rng.randint(8, 14), rng.randint(0, 59)), WITA)
    lag = timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 6))
    latest = datetime.combine(today, time(0, 0), WITA) - timedelta(hours=1)
    approved = min(recorded + lag, latest)
    if approved <= recorded:
        approved = recorded + timedelta(minutes=30)
    return recorded, approved


def synthetic_residents(
    count: int, seed: int, regions: Regions, today: date
) -> list[SyntheticResident]:
    """``count`` made-up residents of Kota Kupang, the same for the same seed."""
    if not 0 <= count <= 9000:
        raise ValueError(f"count must be 0-9000 (NIK serials are four digits), got {count}")
    districts = regions.districts_of(CITY)
    city = regions.regency(CITY)
    province = regions.province(CITY[:2])
    if not districts or city is None or province is None:
        raise ValueError("the region table has no districts of Kota Kupang (5371)")
    rng = random.Random(seed)
    first_serial = rng.randint(1, 9999 - count)
    first_enrolment = rng.randint(1, 500)
    residents = []
    for i in range(count):
        sex: Sex = rng.choice(("L", "P"))
        religion = _weighted(rng, RELIGIONS)
        born = _birth_date(rng, today)
        age = _age(born, today)
        district = rng.choice(districts)
        village = rng.choice(district.villages) if district.villages else district.name
        if rng.random() < 0.88:
            regency_code, district_code = CITY, district.code[4:]
        else:
            regency_code, district_code = rng.choice(OTHER_REGENCIES), f"{rng.randint(1, 20):02d}"
        nik = make_nik(
            regency_code[:2], regency_code[2:], district_code, born, sex, first_serial + i
        )
        recorded, approved = _when(rng, born, today)
        record = CardRecord(
            enrolment_id=f"{CITY}-{recorded:%Y%m%d}-{first_enrolment + i:06d}",
            nik=nik,
            name=_name(rng, sex, religion),
            birth_place="KUPANG" if rng.random() < 0.5 else rng.choice(BIRTH_PLACES),
            birth_date=born,
            sex=sex,
            blood_type=_weighted(rng, BLOOD),
            address=Address(
                street=_street(rng),
                rt=f"{rng.randint(1, 25):03d}",
                rw=f"{rng.randint(1, 12):03d}",
                village=village,
                district=district.name,
                regency=city.name,
                province=province.name,
            ),
            religion=religion,
            marital_status=_marital(rng, age),
            occupation=_occupation(rng, age, sex),
            citizenship="WNI",
            valid_until=None,
            recorded_at=recorded,
            approved_at=approved,
        )
        residents.append(
            SyntheticResident(
                record,
                draw_portrait(random.Random(rng.getrandbits(64)), sex, age, born.year),
                draw_signature(random.Random(rng.getrandbits(64)), record.name),
                (
                    _fingerprint(random.Random(rng.getrandbits(64)), "right_index"),
                    _fingerprint(random.Random(rng.getrandbits(64)), "left_index"),
                ),
            )
        )
    return residents


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = colour
    return (int(r * factor), int(g * factor), int(b * factor))


def draw_portrait(rng: random.Random, sex: Sex, age: int, birth_year: int) -> bytes:
    """A passport-style head and shoulders; red background for even birth years, blue odd."""
    scale = 2  # drawn large, then reduced: smooth edges
    w, h = PHOTO_SIZE[0] * scale, PHOTO_SIZE[1] * scale
    background = RED if birth_year % 2 == 0 else BLUE
    image = Image.new("RGB", (w, h), background)
    d = ImageDraw.Draw(image)
    skin = rng.choice(((141, 96, 66), (120, 80, 56), (166, 118, 84), (98, 66, 46), (182, 134, 98)))
    grey = age > 55 and rng.random() < 0.6
    hair = (150, 150, 150) if grey else rng.choice(((22, 18, 16), (38, 28, 22), (12, 12, 12)))
    shirt = rng.choice(((245, 245, 245), (30, 40, 70), (60, 60, 60), (120, 20, 30), (20, 90, 60)))
    cx = w // 2 + rng.randint(-12, 12)
    face_w = rng.randint(300, 345) * (0.93 if sex == "P" else 1.0)
    face_h = face_w * rng.uniform(1.24, 1.34)
    top = h * 0.16 + rng.randint(-12, 12)
    chin = top + face_h
    shoulders = chin + rng.uniform(30, 55)
    if sex == "P" and rng.random() < 0.8:  # long hair falls behind the shoulders
        d.rounded_rectangle(
            (cx - face_w * 0.7, top - 30, cx + face_w * 0.7, chin + face_h * 0.4),
            radius=150,
            fill=hair,
        )
    d.ellipse((cx - w * 0.54, shoulders, cx + w * 0.54, shoulders + h * 0.7), fill=shirt)
    if shirt == (245, 245, 245) or rng.random() < 0.4:
        collar = _shade(shirt, 0.8)
        d.polygon(
            [(cx - 110, shoulders + 6), (cx, shoulders + 130), (cx + 110, shoulders + 6)],
            fill=collar,
        )
    neck_w = face_w * 0.44
    d.rectangle((cx - neck_w / 2, chin - face_h * 0.3, cx + neck_w / 2, shoulders + 24), fill=skin)
    d.polygon(
        [
            (cx - neck_w / 2, shoulders + 20),
            (cx, shoulders + 95),
            (cx + neck_w / 2, shoulders + 20),
        ],
        fill=_shade(skin, 0.92),
    )
    box = (cx - face_w / 2, top, cx + face_w / 2, top + face_h)
    for side in (-1, 1):  # ears
        ex = cx + side * face_w / 2
        d.ellipse((ex - 22, top + face_h * 0.4, ex + 22, top + face_h * 0.6), fill=skin)
    d.ellipse(box, fill=skin)
    hair_depth = rng.uniform(0.22, 0.34) if not (age > 60 and sex == "L") else 0.16
    d.chord(
        (box[0] - 8, top - 30, box[2] + 8, top + face_h * hair_depth * 2.4), 180, 360, fill=hair
    )
    if rng.random() < 0.5:  # a parting or fringe
        d.pieslice((box[0], top - 20, cx + 40, top + face_h * 0.5), 180, 270, fill=hair)
    eye_y = top + face_h * 0.47
    for side in (-1, 1):
        ex = cx + side * face_w * 0.2
        d.line((ex - 26, eye_y - 24, ex + 26, eye_y - 28 + side * 2), fill=hair, width=8)
        d.ellipse((ex - 18, eye_y - 9, ex + 18, eye_y + 9), fill=(245, 242, 235))
        d.ellipse((ex - 9, eye_y - 9, ex + 9, eye_y + 9), fill=(35, 25, 20))
    nose_y = top + face_h * 0.64
    d.line((cx, eye_y + 10, cx - 10, nose_y), fill=_shade(skin, 0.75), width=5)
    d.arc((cx - 22, nose_y - 10, cx + 22, nose_y + 10), 20, 160, fill=_shade(skin, 0.7), width=5)
    mouth_y = top + face_h * 0.78
    lips = (150, 70, 70) if sex == "P" else _shade(skin, 0.65)
    mw = rng.randint(34, 50)
    d.arc((cx - mw, mouth_y - 20, cx + mw, mouth_y + 12), 15, 165, fill=lips, width=7)
    if sex == "L" and rng.random() < 0.25:  # moustache
        d.line((cx - 40, mouth_y - 18, cx + 40, mouth_y - 18), fill=hair, width=9)
    photo = image.resize(PHOTO_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=88)
    return out.getvalue()


def draw_signature(rng: random.Random, name: str) -> bytes:
    """A cursive-looking scribble: one or two pen strokes of loops of varied height,
    the first loop large like a capital, sometimes underlined."""
    scale = 2
    w, h = SIGNATURE_SIZE[0] * scale, SIGNATURE_SIZE[1] * scale
    image = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(image)
    ink = rng.randint(0, 40)
    width = rng.randint(4, 7)
    slant = rng.uniform(-0.45, 0.05)
    base = h * rng.uniform(0.5, 0.62)
    words = 1 if len(name) < 14 or rng.random() < 0.4 else 2
    x = w * rng.uniform(0.04, 0.12)
    for _word in range(words):
        loops = rng.randint(3, 7)
        # one radius and lift per loop: tall loops read as capitals and ascenders
        radii = [rng.uniform(14, 26) * scale for _ in range(loops)]
        radii[0] *= rng.uniform(1.6, 2.3)
        for i in range(1, loops):
            if rng.random() < 0.25:
                radii[i] *= rng.uniform(1.5, 2.0)
        stretch = rng.uniform(1.1, 1.6)
        advance = rng.uniform(0.7, 1.1) * 26 * scale
        phase = rng.uniform(0, 2 * math.pi)
        points: list[tuple[float, float]] = []
        steps = 36
        for k in range(loops * steps + 1):
            i, frac = divmod(k, steps)
            r0 = radii[min(i, loops - 1)]
            r1 = radii[min(i + 1, loops - 1)]
            mix = (1 - math.cos(math.pi * frac / steps)) / 2
            r = r0 + (r1 - r0) * mix
            t = 2 * math.pi * k / steps
            px = x + advance * k / steps + r * 0.8 * math.cos(t + phase)
            py = base - r * stretch * (1 + math.sin(t + phase)) / 2
            points.append((px + slant * (py - base), py))
        d.line(points, fill=ink, width=width, joint="curve")
        x = max(p[0] for p in points) + rng.uniform(14, 30) * scale
        if x > w * 0.8:
            break
    if rng.random() < 0.45:
        y = base + rng.uniform(10, 22) * scale
        end = min(w * 0.95, x)
        d.line(
            (w * rng.uniform(0.05, 0.2), y, end, y - rng.uniform(-10, 25)), fill=ink, width=width
        )
    # keep inside the image: shrink the drawing if it ran past the right edge
    box = image.point(lambda v: 255 if v < 128 else 0).getbbox()
    if box is not None and box[2] >= w - 2:
        image = image.crop((0, 0, box[2] + 20, h)).resize((w, h), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.resize(SIGNATURE_SIZE, Image.Resampling.LANCZOS).save(out, "PNG")
    return out.getvalue()


def _fingerprint(rng: random.Random, finger: str) -> Fingerprint:
    """25-45 minutiae spread over the finger's oval, none closer than 12 pixels."""
    width, height = FINGER_IMAGE
    count = rng.randint(25, 45)
    found: list[Minutia] = []
    while len(found) < count:
        x, y = rng.randrange(width), rng.randrange(height)
        if ((x - width / 2) / (width * 0.45)) ** 2 + ((y - height / 2) / (height * 0.45)) ** 2 > 1:
            continue
        if any((m.x - x) ** 2 + (m.y - y) ** 2 < 144 for m in found):
            continue
        kind = MinutiaType.RIDGE_ENDING if rng.random() < 0.55 else MinutiaType.BIFURCATION
        found.append(Minutia(kind, x, y, rng.randrange(256), rng.randint(40, 100)))
    template = build_fmr(found, width, height, finger_position=finger, quality=rng.randint(50, 95))
    return Fingerprint(finger, template)


def synthetic_entries(
    count: int, seed: int, regions: Regions, today: date, *, distinct: int = 500
) -> Iterator[BundleEntry]:
    """``count`` synthetic residents as bundle entries, generated one at a time.

    The first ``distinct`` residents are drawn in full (portrait, signature, fingers);
    later ones are new people (NIK, enrolment id) who reuse those media, so a large
    bundle for training or a benchmark is written quickly and in constant memory.
    """
    pool = synthetic_residents(min(count, distinct, 9000), seed, regions, today)
    seen: set[str] = set()
    made = 0
    round_ = 0
    while made < count:
        for resident in pool:
            if made >= count:
                return
            record = resident.record
            nik = record.nik
            if round_:
                serial = (int(nik[12:]) + round_ * 7) % 9999 + 1
                nik = f"{nik[:12]}{serial:04d}"
            if nik in seen:
                continue
            seen.add(nik)
            if round_:
                record = replace(record, nik=nik, enrolment_id=f"{record.enrolment_id}-{round_}")
            yield BundleEntry(
                record,
                resident.photo_jpeg,
                "jpg",
                resident.signature_png,
                "png",
                resident.fingerprints,
            )
            made += 1
        round_ += 1
        if round_ > 9999:
            raise ValueError(f"cannot make {count} distinct residents from seed {seed}")


def write_synthetic_bundle(out: Path, count: int, seed: int = 1, *, as_zip: bool = False) -> Path:
    """Write a bundle of ``count`` synthetic residents to ``out`` (a folder, or a .zip).

    Returns the path written (``out`` with a .zip suffix when ``as_zip``). Refuses
    (InputError) to write over anything but an empty folder.
    """
    from printstation.errors import InputError
    from printstation.intake.bundle import write_bundle, write_bundle_zip
    from printstation.intake.regions import load_regions

    if as_zip and out.suffix.lower() != ".zip":
        out = out.with_suffix(".zip")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} already exists; choose a new name")
    entries = synthetic_entries(count, seed, load_regions(), datetime.now(WITA).date())
    if as_zip:
        return write_bundle_zip(out, entries)
    return write_bundle(out, entries)
