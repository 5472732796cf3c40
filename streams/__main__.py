"""`python -m streams`: run the live worker with SOCIALKPI_* settings from the environment."""

from streams.app import run_worker

if __name__ == "__main__":
    run_worker()
