"""Serializer fields that turn any client input into a clean value or a 400, never a 500."""

from __future__ import annotations

import abc
import datetime as dt
import re
import uuid
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from utvei.accounts.models import Organisation, User
from utvei.core.validation import EARLIEST, LATEST, date_in_range

# Dates a person's case can plausibly carry. Outside this range date arithmetic and time zones overflow.
MAX_INT = 2**31 - 1


def encodable(value: str) -> None:
    """Reject lone surrogates (valid JSON escapes, invalid UTF-8): the database and the cipher need UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise serializers.ValidationError(
            _("The text contains characters that are not allowed."), code="invalid_characters"
        ) from exc


class Text(serializers.CharField):
    """A CharField that refuses text the database could not store, with a message in the caller's language, and
    anything that is not text (DRF's own CharField would turn 0 or false into "0" or "False")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitSurrogateCharactersValidator)]
        self.validators.append(encodable)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if data == "" and not self.allow_blank:
            # The schema's minLength 1 rules out "" (400); text of spaces only fits the schema and is a rule (422).
            raise serializers.ValidationError(self.error_messages["blank"], code="min_length")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class Flag(serializers.BooleanField):
    """A yes/no in a JSON body: true or false only (DRF's BooleanField would take 0, 1, "yes" and "off")."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class Slug(serializers.SlugField):
    """A key in text (DRF's SlugField would take the number 5 as the key "5")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class Date(serializers.DateField):
    default_error_messages = {"out_of_range": _("Give a date between 1900 and 2100.")}

    def to_internal_value(self, value: Any) -> dt.date:
        date = super().to_internal_value(value)
        if not date_in_range(date):
            self.fail("out_of_range")
        return date


class DateTime(serializers.DateTimeField):
    default_error_messages = {"out_of_range": _("Give a time between 1900 and 2100.")}

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and not EARLIEST.year <= parsed.year <= LATEST.year:
                self.fail("out_of_range")  # before DRF's time zone handling, which overflows at the edges
        try:
            when = super().to_internal_value(value)
        except OverflowError:
            self.fail("out_of_range")
        if not EARLIEST.year <= when.year <= LATEST.year:
            self.fail("out_of_range")
        return when


class Version(serializers.IntegerField):
    """The version a client last read; a stale one is refused with 409."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_INT)
        kwargs.setdefault("help_text", _("The version you last read. A stale version is refused with 409 Conflict."))
        super().__init__(**kwargs)


class _Lookup(serializers.Field, abc.ABC):
    """Text that names an object (a slug, a username); resolves to the object or fails as "unknown"."""

    pattern = re.compile(r".+")
    default_error_messages = {"invalid": _("Give a text value.")}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        value = data.strip()
        if not self.pattern.fullmatch(value):
            self.fail("unknown")
        obj = self.lookup(value)
        if obj is None:
            self.fail("unknown")
        return obj

    @abc.abstractmethod
    def lookup(self, value: str) -> Any:
        """The object named by `value`, or None."""


@extend_schema_field(OpenApiTypes.STR)
class OrganisationField(_Lookup):
    """An organisation, by slug."""

    pattern = re.compile(r"[-a-zA-Z0-9_]{1,60}")
    default_error_messages = {"unknown": _("There is no organisation with that slug.")}

    def lookup(self, value: str) -> Organisation | None:
        return Organisation.objects.filter(slug=value).first()

    def to_representation(self, value: Organisation) -> str:
        return value.slug


@extend_schema_field(OpenApiTypes.STR)
class UserField(_Lookup):
    """A user, by username."""

    pattern = re.compile(r"[\w.@+-]{1,150}")
    default_error_messages = {"unknown": _("There is no user with that username.")}

    def lookup(self, value: str) -> User | None:
        return User.objects.filter(username=value).first()

    def to_representation(self, value: User) -> str:
        return value.username


@extend_schema_field(OpenApiTypes.UUID)
class PublicId(serializers.Field):
    """An object's opaque id (UUID). Parsing only: the object is fetched through a selector."""

    default_error_messages = {"invalid": _("Give a valid id.")}

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str) or len(data) > 64:
            self.fail("invalid")
        try:
            return uuid.UUID(data)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: Any) -> str:
        return str(getattr(value, "public_id", value))


class VersionQuery(serializers.Serializer):
    """?version= on a DELETE: the version of the object the caller saw; a stale one is 409 with it as saved."""

    version = Version(help_text=_("The version you read; a stale one is 409 with the saved object in «current»."))
