from django import template
from django.utils import timezone

from programs import zones

register = template.Library()


@register.simple_tag
def zone_label(name: str) -> str:
    """ "Asia/Kolkata — Kolkata, India (UTC+05:30)", with the offset in force now."""
    return zones.zone_label(name, timezone.now())
