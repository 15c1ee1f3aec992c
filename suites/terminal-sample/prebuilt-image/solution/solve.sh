#!/bin/bash
set -e
wc -w < /app/input.txt | tr -d " " > /app/count.txt
