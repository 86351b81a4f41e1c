"""The database: models, states the schema checks, migrations, stored rows."""
