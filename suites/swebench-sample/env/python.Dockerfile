# The inventory repository's environment: Python 3 with pytest and git, on the locally
# bootstrapped Debian base (images/bootstrap-base.sh). The repository itself is copied in per
# trial, at its base commit.
FROM tribench/debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pytest git patch ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /testbed
