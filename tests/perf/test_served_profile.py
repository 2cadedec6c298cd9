"""bench.served_profile's reading of py-spy's collapsed stacks (no sampling here; see bench/)."""

from bench.served_profile import STEPS, innermost_step, read_stacks, summary

SERVER = "ThreadWorker.handle_request (gunicorn/workers/gthread.py:782)"
HANDLER = "WSGIHandler.__call__ (django/core/handlers/wsgi.py:124)"
DRF = "APIView.dispatch (rest_framework/views.py:514)"
AUTH = "BearerTokenAuthentication.authenticate (unionportal/core/authentication.py:46)"
TOKEN = "token_find (unionportal/core/token_lookup.py:42)"
VIEW = "MyCouponsView.list (benefits/coupon_api.py:279)"
ANSWER = "json_answer (unionportal/core/answers.py:24)"
WAIT = "Connection.wait (psycopg/connection.py:495)"
PROCESS = 'process 9413:"python3 gunicorn unionportal.wsgi:application"'


def test_a_sample_belongs_to_the_innermost_step_on_its_stack():
    assert innermost_step([SERVER]) == "server"
    assert innermost_step([SERVER, HANDLER]) == "django"
    assert innermost_step([SERVER, HANDLER, DRF, AUTH, TOKEN, WAIT]) == "authentication"
    assert innermost_step([SERVER, HANDLER, DRF, VIEW, WAIT]) == "endpoint"
    # The endpoint writes its answer: that is the answer's step, not the endpoint's.
    assert innermost_step([SERVER, HANDLER, DRF, VIEW, ANSWER]) == "answer"


def test_stacks_are_read_without_process_names_and_summed(tmp_path):
    collapsed = tmp_path / "profile.txt"
    collapsed.write_text("\n".join([
        f"{PROCESS};{SERVER};{HANDLER};{DRF};{AUTH};{TOKEN};{WAIT} 6",
        f"{PROCESS};{SERVER};{HANDLER};{DRF};{VIEW};{ANSWER} 3",
        f"{PROCESS};{SERVER} 1",
        f"{SERVER};{HANDLER};{DRF};{AUTH};{TOKEN};{WAIT} 2",  # a second process's, unnamed
        "",
    ]))
    stacks = read_stacks(collapsed)
    assert stacks[(SERVER, HANDLER, DRF, AUTH, TOKEN, WAIT)] == 8
    samples, steps, functions = summary(stacks, top=2)
    assert samples == 12
    assert steps == {"authentication": 8, "answer": 3, "server": 1}
    assert set(steps) <= {name for name, _markers in STEPS}
    assert functions.most_common() == [(WAIT, 8), (ANSWER, 3)]
