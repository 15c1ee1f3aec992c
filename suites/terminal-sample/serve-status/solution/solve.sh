#!/bin/bash
set -e
mkdir -p /srv/www
echo ok > /srv/www/status
cd /srv/www
nohup python3 -m http.server 8080 --bind 127.0.0.1 > /tmp/server.log 2>&1 &
for _ in $(seq 1 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/status', timeout=1)" 2>/dev/null && exit 0
  sleep 0.1
done
exit 1
