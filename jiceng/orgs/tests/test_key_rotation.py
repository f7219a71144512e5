"""Key rotation: data sealed with an old key stays readable and is moved to the new key."""

from io import StringIO

from django.core.management import call_command

from jiceng.lib import fieldcrypto
from jiceng.orgs import services
from jiceng.orgs.models import Person


def test_it_rotates_to_the_new_key_and_keeps_lookups_working(person_a: Person, settings) -> None:  # type: ignore[no-untyped-def]
    old_id = fieldcrypto.current_key_id()
    settings.FIELD_KEYS = ["a-brand-new-key-for-the-test", *settings.FIELD_KEYS]
    new_id = fieldcrypto.current_key_id()
    assert new_id != old_id
    person_a.refresh_from_db()
    assert fieldcrypto.decrypt(person_a.phone_encrypted) == "13800138000"  # the old key still opens it
    assert services.find_person_by_id_number("440703198001011234") == person_a  # found mid-rotation by the old hash

    out = StringIO()
    call_command("rotate_field_key", stdout=out)
    person_a.refresh_from_db()
    assert person_a.id_number_encrypted.startswith(f"{new_id}:") and person_a.phone_encrypted.startswith(f"{new_id}:")
    assert services.find_person_by_id_number("440703198001011234") == person_a
    settings.FIELD_KEYS = settings.FIELD_KEYS[:1]  # the old key can now be dropped
    assert fieldcrypto.decrypt(person_a.id_number_encrypted) == "440703198001011234"
    call_command("rotate_field_key", stdout=out)
    assert "re-encrypted 0 people" in out.getvalue()


def test_it_refuses_a_token_from_an_unknown_key(person_a: Person, settings) -> None:  # type: ignore[no-untyped-def]
    import pytest

    settings.FIELD_KEYS = ["some-other-key"]
    with pytest.raises(ValueError, match="no configured field key"):
        fieldcrypto.decrypt(person_a.phone_encrypted)
