"""(area module: see kehu/system/actions/__init__.py)"""

__all__: list[str] = []
