from sweep.cli import app

app()
