"""Where the demo shop ships from and to: the warehouse, and the customers' cities with
the carriers' regional hubs on the way in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    region: str
    postal_code: str
    lat: float
    lon: float
    hub: str  # the carrier's regional facility on the way in
    area_code: str


CITIES: tuple[City, ...] = (
    City("Austin", "TX", "78701", 30.2672, -97.7431, "Dallas, TX", "512"),
    City("Denver", "CO", "80202", 39.7392, -104.9903, "Commerce City, CO", "303"),
    City("Portland", "OR", "97201", 45.5152, -122.6784, "Troutdale, OR", "503"),
    City("Madison", "WI", "53703", 43.0731, -89.4012, "Milwaukee, WI", "608"),
    City("Springfield", "IL", "62701", 39.7990, -89.6440, "Chicago, IL", "217"),
    City("Brooklyn", "NY", "11215", 40.6710, -73.9814, "Jersey City, NJ", "718"),
    City("Cambridge", "MA", "02139", 42.3736, -71.1097, "Boston, MA", "617"),
    City("Philadelphia", "PA", "19103", 39.9526, -75.1652, "Lester, PA", "215"),
    City("Atlanta", "GA", "30309", 33.7990, -84.3880, "Palmetto, GA", "404"),
    City("Miami", "FL", "33131", 25.7617, -80.1918, "Opa Locka, FL", "305"),
    City("Chicago", "IL", "60614", 41.9214, -87.6513, "Bedford Park, IL", "773"),
    City("Minneapolis", "MN", "55401", 44.9778, -93.2650, "Eagan, MN", "612"),
    City("Seattle", "WA", "98103", 47.6615, -122.3420, "Kent, WA", "206"),
    City("San Diego", "CA", "92103", 32.7460, -117.1640, "Los Angeles, CA", "619"),
    City("Oakland", "CA", "94612", 37.8044, -122.2712, "Richmond, CA", "510"),
    City("Phoenix", "AZ", "85004", 33.4484, -112.0740, "Tempe, AZ", "602"),
    City("Nashville", "TN", "37203", 36.1527, -86.7897, "Memphis, TN", "615"),
    City("Raleigh", "NC", "27601", 35.7796, -78.6382, "Greensboro, NC", "919"),
    City("Kansas City", "MO", "64105", 39.1020, -94.5830, "Kansas City, KS", "816"),
    City("Salt Lake City", "UT", "84101", 40.7608, -111.8910, "West Valley City, UT", "801"),
    City("Boise", "ID", "83702", 43.6150, -116.2023, "Nampa, ID", "208"),
    City("Richmond", "VA", "23219", 37.5407, -77.4360, "Sandston, VA", "804"),
    City("New Orleans", "LA", "70130", 29.9511, -90.0715, "Baton Rouge, LA", "504"),
    City("Pittsburgh", "PA", "15222", 40.4406, -79.9959, "Warrendale, PA", "412"),
)
WAREHOUSE = "Groveport, OH"
