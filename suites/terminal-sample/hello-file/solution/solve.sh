#!/bin/bash
set -e
echo "hello from the terminal" > /app/greeting.txt
mkdir -p /app/backup
cp /app/greeting.txt /app/backup/greeting.txt
