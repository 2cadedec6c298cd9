"""Two people press "join" with the same ID number at the same moment: one membership."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from members.models import Member, User

from ..factories import make_tree
from .builders import application, consent_published, new_id_number


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_registrations_with_one_id_number_make_one_member():
    consent_published()
    union = make_tree()["enterprise_a"]
    id_number = new_id_number()
    barrier = threading.Barrier(2)
    answers = []

    def join():
        try:
            data = application(union, id_number=id_number)  # each with its own phone
            client = APIClient()
            barrier.wait()
            response = client.post("/api/v1/members/register/", data, format="json")
            answers.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=join) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _code in answers) == [201, 409]
    assert [code for status, code in answers if status == 409] == ["already_registered"]
    assert Member.objects.count() == 1
    assert User.objects.count() == 1  # the loser's account was rolled back with it
