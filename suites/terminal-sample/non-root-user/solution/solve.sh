#!/bin/bash
set -e
mkdir -p notes
printf "buy milk\ncall bob\n" > notes/todo.txt
