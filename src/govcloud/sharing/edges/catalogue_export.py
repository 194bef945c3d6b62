"""The information resource catalogue as DCAT-AP 3.0 (Turtle, JSON-LD) and as CKAN datasets (JSON).

Edge: builds an rdflib graph from the inventory and serialises it. The mapping:

- the city's catalogue is one ``dcat:Catalog``; each entry a ``dcat:Dataset`` (``dct:identifier`` its
  resource code, ``dct:title``, ``dct:description`` its abstract, ``dct:issued`` its publish date,
  ``dcat:keyword`` its classification path, ``dct:publisher`` the provider department as a ``foaf:Agent``
  whose ``dct:identifier`` is the department's 统一社会信用代码);
- ``dct:accessRights`` from the EU access-right vocabulary: PUBLIC when the entry is open to the public
  (开放), NON_PUBLIC for 不予共享, RESTRICTED otherwise (shared between departments only, 无条件 or 有条件);
  the sharing type itself is kept in the extension property ``gc:sharingType``;
- ``dct:accrualPeriodicity`` from the EU frequency vocabulary (实时 → UPDATE_CONT, 每半年 → ANNUAL_2, ...);
- one ``dcat:Distribution`` per sharing method (共享方式, split on 、/,), its ``dcat:accessURL`` the exchange's
  endpoint for the resource, ``dct:format`` the resource format;
- data items (信息项) as the documented extension ``gc:dataItem`` (``gc:itemName``, ``gc:itemType``), since
  DCAT-AP has no property for a dataset's fields; ``gc:`` is :data:`GC`.
"""

from __future__ import annotations

import enum
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import rdflib
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from govcloud.core import model
from govcloud.edges import yamlio

GC = rdflib.Namespace("urn:govcloud:catalogue#")
"""The extension vocabulary: gc:sharingType, gc:sharingConditions, gc:dataItem (gc:itemName, gc:itemType)."""
ACCESS_RIGHT = rdflib.Namespace("http://publications.europa.eu/resource/authority/access-right/")
FREQUENCY = rdflib.Namespace("http://publications.europa.eu/resource/authority/frequency/")
SHAPES_FILE = Path(__file__).with_name("dcat_ap_3_shapes.ttl")

FREQUENCIES: dict[model.UpdateCycle, str] = {
    model.UpdateCycle.REALTIME: "UPDATE_CONT",
    model.UpdateCycle.DAILY: "DAILY",
    model.UpdateCycle.WEEKLY: "WEEKLY",
    model.UpdateCycle.MONTHLY: "MONTHLY",
    model.UpdateCycle.QUARTERLY: "QUARTERLY",
    model.UpdateCycle.HALF_YEARLY: "ANNUAL_2",
    model.UpdateCycle.YEARLY: "ANNUAL",
}


class ExportFormat(enum.StrEnum):
    DCAT_TTL = "dcat-ttl"
    DCAT_JSONLD = "dcat-jsonld"
    CKAN = "ckan"


def access_right(entry: model.CatalogueEntry) -> str:
    if entry.sharing.type is model.SharingType.NOT_SHARED:
        return "NON_PUBLIC"
    if entry.open.open:
        return "PUBLIC"
    return "RESTRICTED"


def sharing_methods(entry: model.CatalogueEntry) -> tuple[str, ...]:
    """The entry's 共享方式, one per distribution (an entry without one is served through the exchange's interface)."""
    if entry.sharing.type is model.SharingType.NOT_SHARED:
        return ()
    methods = [m.strip() for m in re.split(r"[、,，/;；]", entry.sharing.method or "") if m.strip()]
    return tuple(methods) or ("服务接口",)


def _slug(code: str) -> str:
    return urllib.parse.quote(code, safe="")


def exchange_url(inventory: model.Inventory, entry: model.CatalogueEntry, method: str) -> str:
    exchange = inventory.network.platform.exchange
    return f"https://{exchange.address}:{exchange.ports[0].port}/resources/{_slug(entry.code)}/{urllib.parse.quote(method)}"


def catalogue_graph(inventory: model.Inventory) -> rdflib.Graph:
    """The whole catalogue as a DCAT-AP 3.0 graph."""
    graph = rdflib.Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("gc", GC)):
        graph.bind(prefix, namespace)
    base = f"urn:govcloud:{inventory.city.division_code}:"
    catalogue = rdflib.URIRef(base + "catalogue")
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    graph.add((catalogue, DCTERMS.title, rdflib.Literal(f"{inventory.city.name}政务数据目录", lang="zh")))
    graph.add(
        (
            catalogue,
            DCTERMS.description,
            rdflib.Literal(f"{inventory.city.name}政务信息资源目录 (共享与开放属性)", lang="zh"),
        )
    )
    city_agent = rdflib.URIRef(base + "agent:city")
    graph.add((city_agent, RDF.type, FOAF.Agent))
    graph.add((city_agent, FOAF.name, rdflib.Literal(inventory.city.name, lang="zh")))
    graph.add((catalogue, DCTERMS.publisher, city_agent))
    agents: dict[str, rdflib.URIRef] = {}
    for department in inventory.departments:
        agent = rdflib.URIRef(base + f"agent:{department.code}")
        agents[department.code] = agent
        graph.add((agent, RDF.type, FOAF.Agent))
        graph.add((agent, FOAF.name, rdflib.Literal(department.name, lang="zh")))
        graph.add((agent, DCTERMS.identifier, rdflib.Literal(department.uscc)))
    for entry in inventory.catalogue:
        dataset = rdflib.URIRef(base + f"dataset:{_slug(entry.code)}")
        graph.add((catalogue, DCAT.dataset, dataset))
        graph.add((dataset, RDF.type, DCAT.Dataset))
        graph.add((dataset, DCTERMS.identifier, rdflib.Literal(entry.code)))
        graph.add((dataset, DCTERMS.title, rdflib.Literal(entry.name, lang="zh")))
        graph.add((dataset, DCTERMS.description, rdflib.Literal(entry.abstract or entry.name, lang="zh")))
        graph.add((dataset, DCTERMS.accessRights, ACCESS_RIGHT[access_right(entry)]))
        graph.add((dataset, DCTERMS.accrualPeriodicity, FREQUENCY[FREQUENCIES[entry.update_cycle]]))
        if entry.provider in agents:
            graph.add((dataset, DCTERMS.publisher, agents[entry.provider]))
        if entry.publish_date is not None:
            graph.add((dataset, DCTERMS.issued, rdflib.Literal(entry.publish_date.isoformat(), datatype=XSD.date)))
        for keyword in (entry.category.value, *entry.classification_path):
            graph.add((dataset, DCAT.keyword, rdflib.Literal(keyword, lang="zh")))
        graph.add((dataset, GC.sharingType, rdflib.Literal(entry.sharing.type.value, lang="zh")))
        if entry.sharing.conditions:
            graph.add((dataset, GC.sharingConditions, rdflib.Literal(entry.sharing.conditions, lang="zh")))
        for position, item in enumerate(entry.data_items):
            node = rdflib.URIRef(f"{dataset}#item-{position + 1}")
            graph.add((dataset, GC.dataItem, node))
            graph.add((node, GC.itemName, rdflib.Literal(item.name, lang="zh")))
            graph.add((node, GC.itemType, rdflib.Literal(item.type.value)))
        for position, method in enumerate(sharing_methods(entry)):
            distribution = rdflib.URIRef(f"{dataset}#distribution-{position + 1}")
            graph.add((dataset, DCAT.distribution, distribution))
            graph.add((distribution, RDF.type, DCAT.Distribution))
            graph.add((distribution, DCAT.accessURL, rdflib.URIRef(exchange_url(inventory, entry, method))))
            graph.add((distribution, DCTERMS.title, rdflib.Literal(f"{entry.name} ({method})", lang="zh")))
            graph.add((distribution, DCTERMS.description, rdflib.Literal(f"通过数据共享交换平台{method}", lang="zh")))
            graph.add((distribution, DCTERMS.format, rdflib.Literal(entry.format.value, lang="zh")))
    return graph


def ckan_datasets(inventory: model.Inventory) -> list[dict[str, Any]]:
    """The catalogue as CKAN ``package_create`` payloads (one per entry; resources per sharing method)."""
    departments = inventory.department_by_code
    result: list[dict[str, Any]] = []
    for entry in inventory.catalogue:
        department = departments.get(entry.provider)
        result.append(
            {
                "name": "res-" + re.sub(r"[^a-z0-9_-]", "-", entry.code.lower()),
                "title": entry.name,
                "notes": entry.abstract or entry.name,
                "owner_org": entry.provider.lower(),
                "private": not entry.open.open,
                "tags": [{"name": t} for t in (entry.category.value, *entry.classification_path)],
                "extras": [
                    {"key": "resource_code", "value": entry.code},
                    {"key": "access_rights", "value": access_right(entry)},
                    {"key": "sharing_type", "value": entry.sharing.type.value},
                    {"key": "sharing_conditions", "value": entry.sharing.conditions or ""},
                    {"key": "update_cycle", "value": entry.update_cycle.value},
                    {"key": "issued", "value": entry.publish_date.isoformat() if entry.publish_date else ""},
                    {"key": "publisher_uscc", "value": department.uscc if department else ""},
                    {
                        "key": "data_items",
                        "value": json.dumps([[i.name, i.type.value] for i in entry.data_items], ensure_ascii=False),
                    },
                ],
                "resources": [
                    {"name": method, "url": exchange_url(inventory, entry, method), "format": entry.format.value}
                    for method in sharing_methods(entry)
                ],
            }
        )
    return result


def render_export(inventory: model.Inventory, export_format: ExportFormat) -> str:
    if export_format is ExportFormat.CKAN:
        return json.dumps(ckan_datasets(inventory), ensure_ascii=False, indent=2) + "\n"
    graph = catalogue_graph(inventory)
    if export_format is ExportFormat.DCAT_JSONLD:
        return graph.serialize(format="json-ld", indent=2)
    return graph.serialize(format="turtle")


def write_export(inventory: model.Inventory, export_format: ExportFormat, out: Path) -> None:
    yamlio.write_atomic(out, render_export(inventory, export_format))
