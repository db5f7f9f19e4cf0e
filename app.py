"""WSGI entry point (`gunicorn app:app`, `flask --app app ...`); `python app.py` runs the development server."""
import os

from quizserver import create_app

if __name__ == "__main__":
    os.environ.setdefault("QUIZ_ENV", "development")

app = create_app()

if __name__ == "__main__":
    from quizserver.devserver import serve

    serve(app)
