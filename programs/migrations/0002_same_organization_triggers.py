"""Same-organization invariants as database triggers, for PostgreSQL and SQLite alike.

Check constraints cannot look across tables, so members, matches, groups and sessions are
held to their program's organization by triggers. A violation raises an integrity error.
"""

from django.db import migrations

# (name, table, violation condition using NEW, message). {ne} is "differs, NULL-aware".
RULES = [
    (
        "membership_same_org",
        "programs_membership",
        "(SELECT organization_id FROM programs_user WHERE id = NEW.user_id) {ne} "
        "(SELECT organization_id FROM programs_program WHERE id = NEW.program_id)",
        "a member must belong to the organization of the program",
    ),
    (
        "match_same_org",
        "programs_match",
        "(SELECT organization_id FROM programs_user WHERE id = NEW.mentee_id) {ne} "
        "(SELECT organization_id FROM programs_program WHERE id = NEW.program_id) OR "
        "(SELECT organization_id FROM programs_user WHERE id = NEW.mentor_id) {ne} "
        "(SELECT organization_id FROM programs_program WHERE id = NEW.program_id)",
        "the mentee and mentor of a match must belong to the organization of the program",
    ),
    (
        "group_same_org",
        "programs_group",
        "(SELECT organization_id FROM programs_user WHERE id = NEW.facilitator_id) {ne} "
        "(SELECT organization_id FROM programs_program WHERE id = NEW.program_id)",
        "the facilitator of a group must belong to the organization of the program",
    ),
    (
        "groupmember_same_org",
        "programs_groupmember",
        "(SELECT organization_id FROM programs_user WHERE id = NEW.user_id) {ne} "
        "(SELECT p.organization_id FROM programs_group g JOIN programs_program p "
        "ON p.id = g.program_id WHERE g.id = NEW.group_id)",
        "a group member must belong to the organization of the program",
    ),
    (
        "session_same_program",
        "programs_session",
        "(NEW.match_id IS NOT NULL AND "
        "(SELECT program_id FROM programs_match WHERE id = NEW.match_id) {ne} NEW.program_id) OR "
        "(NEW.group_id IS NOT NULL AND "
        "(SELECT program_id FROM programs_group WHERE id = NEW.group_id) {ne} NEW.program_id)",
        "a session must belong to the program of its match or group",
    ),
    (
        "user_keeps_org",
        "programs_user",
        "EXISTS (SELECT 1 FROM programs_membership m JOIN programs_program p "
        "ON p.id = m.program_id WHERE m.user_id = NEW.id AND p.organization_id {ne} NEW.organization_id)",
        "a person with memberships cannot move to another organization",
    ),
]


def _create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, table, condition, message in RULES:
        if vendor == "postgresql":
            test = condition.format(ne="IS DISTINCT FROM")
            schema_editor.execute(
                f"""
                CREATE OR REPLACE FUNCTION together_{name}() RETURNS trigger AS $$
                BEGIN
                    IF {test} THEN
                        RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql;
                """
            )
            schema_editor.execute(
                f"CREATE TRIGGER together_{name} BEFORE INSERT OR UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION together_{name}();"
            )
        elif vendor == "sqlite":
            test = condition.format(ne="IS NOT")
            for event in ("INSERT", "UPDATE"):
                schema_editor.execute(
                    f"CREATE TRIGGER together_{name}_{event.lower()} BEFORE {event} ON {table} "
                    f"WHEN {test} BEGIN SELECT RAISE(ABORT, '{message}'); END;"
                )
        else:
            raise RuntimeError(f"Together supports PostgreSQL and SQLite, not {vendor}")


def _drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, table, _condition, _message in RULES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS together_{name} ON {table};")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS together_{name}();")
        else:
            for event in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS together_{name}_{event};")


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]

    operations = [migrations.RunPython(_create, _drop)]
