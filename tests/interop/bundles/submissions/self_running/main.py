"""A self-running submission: its metadata has a command, so it runs in its own box next
to the ingestion program and writes into the same /app/output."""

from pathlib import Path

Path("/app/output/self_ran").write_text("yes\n")
print("self-running submission done")
