"""Flask extensions, created unbound here and bound to the app in the factory."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api as _Api

from surveys.core.db import db
from vocservice import errors

migrate = Migrate(compare_type=True, render_as_batch=True)
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class Api(_Api):
    """flask-smorest Api whose HTTP errors are RFC 9457 problems like every other error."""

    def handle_http_exception(self, error):
        return errors.problem_from_http_exception(error)


api = Api()

__all__ = ["api", "db", "limiter", "migrate"]
