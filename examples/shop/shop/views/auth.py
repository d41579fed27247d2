"""login workflow: session login here; JWT obtain/refresh are simplejwt's views (see urls)."""

from __future__ import annotations

from django.contrib.auth import authenticate, login
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from shop.serializers import LoginSerializer


class SessionLoginView(APIView):
    """POST username+password -> Django session cookie (+ a rotated csrftoken cookie).

    CSRF-exempt like simplejwt's token endpoint: SessionAuthentication is left out, so DRF
    never enforces CSRF here. JWTAuthentication stays only so that bad credentials answer
    401 with WWW-Authenticate (DRF downgrades to 403 when no authenticator offers a header).
    Later unsafe requests on the session must echo the csrftoken cookie in X-CSRFToken.
    """

    authentication_classes = (JWTAuthentication,)
    permission_classes = (AllowAny,)

    def post(self, request: Request) -> Response:
        form = LoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if user is None:
            raise AuthenticationFailed("invalid username or password")
        login(request._request, user)
        return Response({"id": user.pk, "username": user.get_username(), "is_staff": user.is_staff})
