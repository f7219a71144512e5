"""Grid boundaries: GeoJSON in, shapely to check it, bounding boxes for the cheap first filter.

Coordinates are WGS 84 longitude/latitude, as GeoJSON (RFC 7946) requires. Areas and distances
are approximate (a local equirectangular projection): enough to size an overlap or a 100 m radius,
not for surveying.
"""

import json
import math
from collections.abc import Iterable
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = 110_574.0


def parse_boundary(value: Any) -> BaseGeometry:
    """A valid Polygon or MultiPolygon from GeoJSON text or a dict; Chinese ValidationError otherwise."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError({"boundary": f"边界不是有效的 GeoJSON：第 {exc.lineno} 行第 {exc.colno} 列有语法错误。"}) from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        features = value.get("features") or []
        if len(features) != 1:
            raise ValidationError({"boundary": "GeoJSON 要素集合中须恰好有一个要素（本网格的边界）。"})
        value = features[0].get("geometry") if isinstance(features[0], dict) else None
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError({"boundary": "边界须为 GeoJSON 的 Polygon（多边形）或 MultiPolygon（多多边形）。"})
    try:
        geom = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.GEOSException):
        raise ValidationError({"boundary": "边界坐标格式有误：每个环须是至少 4 个 [经度, 纬度] 点组成的闭合环。"}) from None
    if geom.is_empty:
        raise ValidationError({"boundary": "边界为空。"})
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationError({"boundary": "坐标超出范围：经度须在 -180 至 180 之间，纬度须在 -90 至 90 之间（顺序为 [经度, 纬度]）。"})
    if not geom.is_valid:
        raise ValidationError({"boundary": f"边界不是有效的多边形（如自相交）：{_explain(geom)}。"})
    if geom.area <= 0:
        raise ValidationError({"boundary": "边界面积为零。"})
    return geom


def _explain(geom: BaseGeometry) -> str:
    reason = explain_validity(geom)
    if reason.startswith("Self-intersection"):
        where = reason.partition("[")[2].rstrip("]")
        return f"边界线自相交，交点约在 {where}" if where else "边界线自相交"
    if reason.startswith("Ring Self-intersection"):
        return "环自相交"
    if reason.startswith("Too few points"):
        return "点数过少"
    return reason


def bbox(geom: BaseGeometry) -> tuple[float, float, float, float]:
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    return float(min_lng), float(min_lat), float(max_lng), float(max_lat)


def area_m2(geom: BaseGeometry) -> float:
    """Approximate area in square metres, scaling degrees at the geometry's latitude."""
    lat = geom.centroid.y
    return float(geom.area) * M_PER_DEG_LAT * M_PER_DEG_LAT * math.cos(math.radians(lat))


def contains(boundary: dict[str, Any], lng: float, lat: float) -> bool:
    """Point in polygon; a point on the boundary line counts as inside."""
    return bool(shape(boundary).covers(Point(lng, lat)))


def overlaps(geom: BaseGeometry, others: Iterable[tuple[Any, dict[str, Any]]], tolerance_share: float) -> list[tuple[Any, float]]:
    """(key, overlap m²) for each other boundary whose overlap exceeds the tolerance share of the smaller area."""
    found = []
    own = geom.area
    for key, boundary in others:
        other = shape(boundary)
        if not other.is_valid or not geom.intersects(other):
            continue
        shared = geom.intersection(other).area
        if shared > tolerance_share * min(own, other.area):
            found.append((key, area_m2(geom.intersection(other))))
    return found


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def degree_box(lng: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """A lng/lat box that surely contains the circle, for an indexed pre-filter."""
    dlat = radius_m / M_PER_DEG_LAT
    dlng = radius_m / (M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    return lng - dlng, lat - dlat, lng + dlng, lat + dlat


def rectangle(min_lng: float, min_lat: float, max_lng: float, max_lat: float) -> dict[str, Any]:
    """A GeoJSON Polygon of a lng/lat rectangle (counter-clockwise outer ring, as RFC 7946 asks)."""
    ring = [[min_lng, min_lat], [max_lng, min_lat], [max_lng, max_lat], [min_lng, max_lat], [min_lng, min_lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def valid_point(lng: float, lat: float) -> bool:
    return -180 <= lng <= 180 and -90 <= lat <= 90 and math.isfinite(lng) and math.isfinite(lat)
