"""Asks the server a few times, by name, and prints each answer (or why it failed)."""

import sys
import time
import urllib.request

url = sys.argv[1] if len(sys.argv) > 1 else "http://server:8000/"
for attempt in range(1, 6):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            print(f"{attempt}: {response.read().decode().strip()}", flush=True)
    except OSError as error:
        print(f"{attempt}: {url} failed: {error}", flush=True)
    time.sleep(2)
