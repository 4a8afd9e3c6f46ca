"""POST /predict's body, parsed and validated from the JSON bytes in one pass.

FastAPI parses a JSON body with the standard library, then validates the Python
objects: for 1,000 passengers, two passes that cost more than the model. Here
pydantic validates the bytes directly, and FastAPI's own validation then only
recognises Passenger instances it has nothing left to check. The rules, the
docs and every error answer stay FastAPI's: an invalid body takes the usual
path, as if this module did not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError

from app.schemas import Passenger, PassengerList

# One validator per branch of PassengerPayload: its callable discriminator would
# first turn a whole JSON array into Python objects, the cost avoided here.
ONE_PASSENGER = TypeAdapter(Passenger)
PASSENGERS = TypeAdapter(PassengerList)


def validate_payload_json(body: bytes) -> Passenger | list[Passenger]:
    """Validate a JSON object as one passenger, a JSON array as a list of them."""
    if body.lstrip()[:1] == b"[":
        return PASSENGERS.validate_json(body)
    return ONE_PASSENGER.validate_json(body)


class PayloadRequest(Request):
    """A request whose JSON body comes out already validated, when it is valid."""

    async def json(self) -> Any:
        """Give FastAPI validated passengers, or else the body as json.loads reads it.

        FastAPI calls this only for a JSON content type, then validates the
        result against the declared body: validated instances pass as they are.
        """
        try:
            return validate_payload_json(await self.body())
        except ValidationError:
            return await super().json()


class PayloadRoute(APIRoute):
    """A route that hands its endpoint a PayloadRequest instead of a Request."""

    def get_route_handler(
        self,
    ) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler: same request, read the PayloadRequest way."""
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            """Serve the request as FastAPI would, with the faster body reading."""
            return await handler(PayloadRequest(request.scope, request.receive))

        return handle
