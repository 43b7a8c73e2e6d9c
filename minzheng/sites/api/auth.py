from ninja.security import HttpBearer

from minzheng.foundation.accounts.services import token_user
from minzheng.foundation.audit.context import _current, actor_for_user
from minzheng.foundation.audit.middleware import client_ip


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_user(token)
        if user is None:
            return None
        request.user = user
        # audit records made by this API call carry the token's user
        _current.set(actor_for_user(user, ip=client_ip(request), channel="api"))
        return user
