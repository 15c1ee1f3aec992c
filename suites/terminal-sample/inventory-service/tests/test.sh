#!/bin/bash
# Writes the reward Harbor-style: 1 when every check passes, else 0.
cd /tests && python3 -m pytest -rA test_outputs.py
if [ $? -eq 0 ]; then echo 1 > /logs/verifier/reward.txt; else echo 0 > /logs/verifier/reward.txt; fi
