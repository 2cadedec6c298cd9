# The two commands: `make run` serves the portal with demo data, `make test` runs the suite.
# `make bench` measures the portal at city scale (see bench/run.sh); `make bench-instructions`
# counts its instructions per answer (bench/instructions.py); `make bench-profile` samples where
# a served answer's time goes (bench/served_profile.py); `make bench-export` times a member
# export at city scale (bench/export_timing.py); `make bench-bulk` a bulk member action
# (bench/bulk_timing.py).
.PHONY: run test bench bench-instructions bench-profile bench-export bench-bulk setup services stop messages

run:
	./scripts/run.sh

test:
	./scripts/test.sh $(ARGS)

bench:
	./bench/run.sh

# Instructions per answer, counted by valgrind: slower, but it does not drift with the machine.
bench-instructions:
	./bench/instructions.sh $(ARGS)

# py-spy's samples of the served portal, by step of the answer, per ratio scenario.
bench-profile:
	./bench/profile.sh $(ARGS)

# A district's member export written as the worker writes it; ARGS=city adds the whole city.
bench-export:
	./bench/export.sh $(ARGS)

# Every member of a district's largest union transferred by a bulk action, and back.
bench-bulk:
	./bench/bulk.sh

# Packages, services, migrations, translations and static files, without serving.
setup:
	./scripts/prepare.sh

services:
	./scripts/services.sh start

stop:
	./scripts/services.sh stop

# Refresh the zh-hans catalogues after changing visible strings: each app's from its own
# directory (its catalogue names its files as the app sees them), then the project's.
APPS = stations members benefits convalescence
messages:
	bash -c '. scripts/env.sh && for app in $(APPS); do (cd $$app && python ../manage.py makemessages -l zh_Hans -v 0); done \
	  && python manage.py makemessages -l zh_Hans -v 0 --ignore=.venv --ignore=staticfiles --ignore=tests $(APPS:%=--ignore=%)'
