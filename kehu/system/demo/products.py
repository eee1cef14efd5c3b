"""Demo product catalogue: a Chinese maker and distributor of power and industrial equipment."""

from __future__ import annotations

from decimal import Decimal

from kehu.core.demo import DemoContext, generator

from ..actions import save_price_list_item, save_product, save_product_category
from ..models import PriceListItem, Product, ProductCategory

# code, name, parent code
CATEGORIES = [
    ("PWR", "电力设备", None),
    ("PWR-TRF", "变压器", "PWR"),
    ("PWR-SWG", "开关柜", "PWR"),
    ("PWR-CBL", "电缆", "PWR"),
    ("PWR-PRT", "继电保护", "PWR"),
    ("INS", "仪器仪表", None),
    ("INS-MTR", "电能表", "INS"),
    ("INS-TST", "测试仪器", "INS"),
    ("AUT", "工业自动化", None),
    ("AUT-PLC", "PLC 与控制器", "AUT"),
    ("AUT-VFD", "变频器", "AUT"),
    ("SVC", "软件与服务", None),
    ("SVC-SW", "软件", "SVC"),
    ("SVC-OM", "运维服务", "SVC"),
    ("SVC-TRN", "培训", "SVC"),
    ("PRT", "备品备件", None),
]

S, P, C, T, V = "self_made", "purchased", "consignment", "training", "service"

# category, kind, unit, list price (yuan), names
CATALOGUE = [
    (
        "PWR-TRF",
        S,
        "台",
        68000,
        [
            "SCB13-315kVA 干式变压器",
            "SCB13-630kVA 干式变压器",
            "SCB13-1000kVA 干式变压器",
            "S13-M-400kVA 油浸式变压器",
            "S13-M-800kVA 油浸式变压器",
            "SBH15-500kVA 非晶合金变压器",
        ],
    ),
    (
        "PWR-SWG",
        S,
        "台",
        42000,
        [
            "KYN28A-12 中置式开关柜",
            "XGN15-12 环网柜",
            "GCS 低压抽出式开关柜",
            "MNS 低压开关柜",
            "GGD 固定式低压配电柜",
            "HXGN-12 箱式环网柜",
        ],
    ),
    (
        "PWR-CBL",
        P,
        "米",
        260,
        [
            "YJV22-8.7/15kV 3×240 电力电缆",
            "YJV-0.6/1kV 4×185+1×95 电缆",
            "KVVP 10×1.5 控制电缆",
            "RVVP 4×1.0 屏蔽线",
            "BPYJVP 变频电缆 3×95",
        ],
    ),
    (
        "PWR-PRT",
        S,
        "套",
        15000,
        [
            "PMC-651F 线路保护装置",
            "PMC-653T 变压器保护装置",
            "微机综合保护测控装置",
            "电弧光保护系统",
        ],
    ),
    (
        "INS-MTR",
        C,
        "台",
        980,
        [
            "DTZ341 三相智能电能表",
            "DDZY102 单相费控电能表",
            "DTSD1352 多功能电力仪表",
            "导轨式电能表 DDS1352",
        ],
    ),
    (
        "INS-TST",
        P,
        "台",
        36000,
        [
            "继电保护测试仪 PW636i",
            "变压器直流电阻测试仪",
            "回路电阻测试仪",
            "绝缘电阻测试仪 5kV",
            "局部放电检测仪",
            "电能质量分析仪",
        ],
    ),
    (
        "AUT-PLC",
        C,
        "台",
        8600,
        [
            "S7-1200 PLC CPU1214C",
            "S7-1500 PLC CPU1511-1 PN",
            "国产 PLC KH-300 控制器",
            "远程 I/O 模块 16 通道",
            "触摸屏 HMI 10 英寸",
        ],
    ),
    (
        "AUT-VFD",
        P,
        "台",
        12800,
        [
            "通用变频器 22kW",
            "通用变频器 55kW",
            "水泵专用变频器 37kW",
            "高压变频器 1000kW",
            "软启动器 90kW",
        ],
    ),
    (
        "SVC-SW",
        S,
        "套",
        88000,
        ["配电室智能运维平台", "能耗在线监测系统", "变电站综合自动化软件", "设备资产管理系统"],
    ),
    (
        "SVC-OM",
        V,
        "年",
        36000,
        [
            "配电室年度运维服务",
            "变压器预防性试验",
            "开关柜检修服务",
            "电能质量治理咨询",
            "驻场运维工程师",
        ],
    ),
    (
        "SVC-TRN",
        T,
        "人天",
        2800,
        ["高压电工取证培训", "继电保护调试培训", "PLC 编程培训", "配电室安全操作培训"],
    ),
    (
        "PRT",
        P,
        "套",
        1200,
        [
            "真空断路器操作机构",
            "避雷器 HY5WZ-17/45",
            "熔断器 XRNT-12",
            "带电显示装置",
            "温湿度控制器",
            "电缆终端头 10kV",
        ],
    ),
]

LEVELS = (("A", Decimal("0.88")), ("B", Decimal("0.94")), ("C", Decimal("0.98")))


def _money(value: float) -> Decimal:
    """Round a generated price to a plausible catalogue figure."""
    step = 100 if value >= 10000 else 10 if value >= 1000 else 1
    return Decimal(int(round(value / step)) * step)


@generator(20, "product catalogue")
def product_catalogue(ctx: DemoContext) -> None:
    """Idempotent: an install that already has categories keeps its catalogue."""
    if ProductCategory.objects.exists():
        ctx.data["products"] = list(Product.objects.all())
        return
    rng = ctx.rng
    admin = ctx.data.get("admin")
    categories: dict[str, ProductCategory] = {}
    for code, name, parent in CATEGORIES:
        categories[code] = save_product_category(
            category=ProductCategory(code=code, name=name, parent=categories.get(parent)),
            user=admin,
        )
    products = []
    for category, kind, unit, base, names in CATALOGUE:
        prefix = category.replace("-", "")
        for i, name in enumerate(names, start=1):
            list_price = _money(base * rng.uniform(0.6, 2.2))
            cost_share = {S: 0.55, P: 0.72, C: 0.80, T: 0.35, V: 0.45}[kind]
            cost = _money(float(list_price) * rng.uniform(cost_share - 0.08, cost_share + 0.08))
            floor = max(cost, _money(float(list_price) * rng.uniform(0.78, 0.88)))
            product = save_product(
                product=Product(
                    code=f"{prefix}-{i:03d}",
                    name=name,
                    category=categories[category],
                    kind=kind,
                    unit=unit,
                    list_price=list_price,
                    floor_price=min(floor, list_price),
                    cost=cost,
                    tax_rate=Decimal("0.06") if kind in (T, V) else Decimal("0.13"),
                    is_active=rng.random() > 0.05,
                ),
                user=admin,
            )
            products.append(product)
            for level, share in LEVELS:
                price = max(product.floor_price, _money(float(list_price * share)))
                if price < list_price:
                    save_price_list_item(
                        item=PriceListItem(product=product, customer_level=level, price=price),
                        user=admin,
                    )
    ctx.data["products"] = products
