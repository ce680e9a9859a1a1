"""`python -m dae_runtime`: the `dae` command line, for environments where the script is not on PATH."""

from dae_runtime.cli import main

if __name__ == "__main__":
    main(prog_name="dae")
