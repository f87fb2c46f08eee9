"""What the demo shop sells: products with prices and stock, some sold out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: float
    stock: int


PRODUCTS: tuple[Product, ...] = (
    Product("STICKER-SET", "Sticker set", 8.00, 200),
    Product("CABLE-USBC-2M", "USB-C cable, 2 m", 12.00, 150),
    Product("NOTEBOOK-A5", "A5 dot notebook", 14.00, 120),
    Product("MUG-WHT", "White mug", 18.00, 40),
    Product("CAP-RED", "Red cap", 22.00, 15),
    Product("SOCKS-3PK", "Merino socks, 3-pack", 24.00, 80),
    Product("CANDLE-CEDAR", "Cedar candle", 24.00, 12),
    Product("TOTE-CNV", "Canvas tote", 26.00, 0),
    Product("TEE-BLK-M", "Black tee, M", 32.00, 48),
    Product("TEE-WHT-L", "White tee, L", 32.00, 0),
    Product("BOTTLE-750", "Insulated bottle, 750 ml", 34.00, 35),
    Product("PLANTER-CER", "Ceramic planter", 38.00, 25),
    Product("YOGA-MAT", "Yoga mat", 45.00, 9),
    Product("CHARGER-65W", "65 W USB-C charger", 49.00, 30),
    Product("PEN-FOUNTAIN", "Fountain pen", 58.00, 16),
    Product("HOODIE-GRY-L", "Grey hoodie, L", 68.00, 22),
    Product("LAMP-DESK", "Desk lamp", 79.00, 0),
    Product("KETTLE-GOOSE", "Gooseneck kettle", 89.00, 14),
    Product("SPEAKER-BT", "Bluetooth speaker", 99.00, 0),
    Product("BLANKET-WOOL", "Wool throw blanket", 110.00, 8),
    Product("RUNNER-9", "Runner, size 9", 120.00, 11),
    Product("BACKPACK-24L", "Daypack, 24 L", 129.00, 7),
    Product("SUNGLASSES-POL", "Polarised sunglasses", 145.00, 0),
    Product("GRINDER-BURR", "Burr coffee grinder", 149.00, 5),
    Product("BOOT-HIKE-10", "Hiking boots, size 10", 189.00, 4),
    Product("HEADPHONES-NC", "Noise-cancelling headphones", 249.00, 6),
    Product("JACKET-DOWN-M", "Down jacket, M", 340.00, 2),
    Product("WATCH-STEEL", "Steel field watch", 395.00, 3),
)
_IN_STOCK = [p for p in PRODUCTS if p.stock > 0]
_OUT_OF_STOCK = [p for p in PRODUCTS if p.stock == 0]
# What a business buys by the dozen.
_B2B_PRODUCTS = [
    p
    for p in PRODUCTS
    if p.sku
    in {
        "MUG-WHT",
        "NOTEBOOK-A5",
        "PEN-FOUNTAIN",
        "CABLE-USBC-2M",
        "TEE-BLK-M",
        "CAP-RED",
        "BOTTLE-750",
        "CHARGER-65W",
    }
]
