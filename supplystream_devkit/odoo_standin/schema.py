"""The models the stand-in knows, with their Odoo 17 field names and types (``product.product``
follows the presented release: see ``release.py``).

Only data is declared here; behaviour lives in ``orm.py`` (generic methods), ``stock.py`` and
``sale.py`` (business methods). Fields marked ``compute`` are not stored: ``orm.py`` computes them
on read and in domains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Field:
    type: str  # char, text, integer, float, boolean, selection, date, datetime, many2one, one2many, many2many
    string: str
    relation: str | None = None
    inverse: str | None = None  # one2many: the many2one on `relation` pointing back
    selection: tuple[tuple[str, str], ...] = ()
    required: bool = False
    readonly: bool = False
    compute: bool = False
    default: Any = None

    @property
    def relational(self) -> bool:
        return self.type in ("many2one", "one2many", "many2many")


@dataclass(frozen=True)
class Model:
    name: str
    description: str
    fields: dict[str, Field]
    order: str = "id"
    rec_name: str = "name"
    transient: bool = False
    custom: bool = False  # created through ir.model with state 'manual'
    methods: tuple[str, ...] = field(default=())


def _m2o(relation: str, string: str, **kw: Any) -> Field:
    return Field("many2one", string, relation=relation, **kw)


def _o2m(relation: str, inverse: str, string: str, **kw: Any) -> Field:
    return Field("one2many", string, relation=relation, inverse=inverse, **kw)


def _sel(string: str, options: tuple[tuple[str, str], ...], **kw: Any) -> Field:
    return Field("selection", string, selection=options, **kw)


CHAR = "char"

MAGIC_FIELDS: dict[str, Field] = {
    "id": Field("integer", "ID", readonly=True),
    "display_name": Field("char", "Display Name", readonly=True, compute=True),
    "create_date": Field("datetime", "Created on", readonly=True),
    "create_uid": _m2o("res.users", "Created by", readonly=True),
    "write_date": Field("datetime", "Last Updated on", readonly=True),
    "write_uid": _m2o("res.users", "Last Updated by", readonly=True),
}

PRODUCT_TYPES = (("consu", "Consumable"), ("service", "Service"), ("product", "Storable Product"))
#: Odoo 18+ (addons/product ``product.template.type``): storable goods are ``consu`` + ``is_storable``.
PRODUCT_TYPES_18 = (("consu", "Goods"), ("service", "Service"), ("combo", "Combo"))
LOCATION_USAGES = (
    ("supplier", "Vendor Location"),
    ("view", "View"),
    ("internal", "Internal Location"),
    ("customer", "Customer Location"),
    ("inventory", "Inventory Loss"),
    ("production", "Production"),
    ("transit", "Transit Location"),
)
PICKING_STATES = (
    ("draft", "Draft"),
    ("waiting", "Waiting Another Operation"),
    ("confirmed", "Waiting"),
    ("assigned", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
)
MOVE_STATES = (
    ("draft", "New"),
    ("waiting", "Waiting Another Move"),
    ("confirmed", "Waiting Availability"),
    ("partially_available", "Partially Available"),
    ("assigned", "Available"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
)
PICKING_TYPE_CODES = (("incoming", "Receipt"), ("outgoing", "Delivery"), ("internal", "Internal Transfer"))
# Odoo 17 sale.order states (addons/sale/models/sale_order.py SALE_ORDER_STATE): 'done' is gone,
# a confirmed order is locked with the boolean `locked` instead.
SALE_STATES = (
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
)

# mail.message message_type (Odoo 17, addons/mail/models/mail_message.py)
MESSAGE_TYPES = (
    ("email", "Email"),
    ("comment", "Comment"),
    ("notification", "System notification"),
    ("auto_comment", "Automated Targeted Notification"),
    ("user_notification", "User Specific Notification"),
)

# stock.rule (Odoo 17, addons/stock/models/stock_rule.py): ``buy`` and ``manufacture`` come with
# the purchase and mrp modules, which the stand-in does not have.
RULE_ACTIONS = (("pull", "Pull From"), ("push", "Push To"), ("pull_push", "Pull & Push"))
PROCURE_METHODS = (
    ("make_to_stock", "Take From Stock"),
    ("make_to_order", "Trigger Another Rule"),
    ("mts_else_mto", "Take From Stock, if unavailable, Trigger Another Rule"),
)

ATP_MODEL = "x_supplystream_atp"


def product_model(*, storable_by_flag: bool = False) -> Model:
    """``product.product`` as Odoo 17 has it, or (``storable_by_flag``) as Odoo 18+ has it:
    ``type`` without ``product`` and a boolean ``is_storable`` ("Track Inventory")."""
    if storable_by_flag:
        kind = {
            "type": _sel("Product Type", PRODUCT_TYPES_18, required=True, default="consu"),
            "is_storable": Field("boolean", "Track Inventory", default=False),
        }
    else:
        kind = {"type": _sel("Product Type", PRODUCT_TYPES, required=True, default="consu")}
    return Model(
        "product.product",
        "Product Variant",
        {
            "name": Field(CHAR, "Name", required=True),
            "default_code": Field(CHAR, "Internal Reference"),
            "barcode": Field(CHAR, "Barcode"),
            **kind,
            "uom_id": _m2o("uom.uom", "Unit of Measure"),
            "list_price": Field("float", "Sales Price", default=1.0),
            "company_id": _m2o("res.company", "Company"),
            "active": Field("boolean", "Active", default=True),
            "qty_available": Field("float", "Quantity On Hand", readonly=True, compute=True),
            "free_qty": Field("float", "Free To Use Quantity ", readonly=True, compute=True),
            "virtual_available": Field("float", "Forecasted Quantity", readonly=True, compute=True),
            "incoming_qty": Field("float", "Incoming", readonly=True, compute=True),
            "outgoing_qty": Field("float", "Outgoing", readonly=True, compute=True),
        },
        order="default_code, name, id",
    )


#: The decimal precision "Product Unit" the stand-in as Odoo 19 rounds every unit to (Odoo 19's
#: ``uom.uom.rounding`` is computed from it; the stand-in's database keeps 3 digits, as Odoo 11's).
PRODUCT_UNIT_DIGITS = 3
UOM_TYPES = (
    ("bigger", "Bigger than the reference Unit of Measure"),
    ("reference", "Reference Unit of Measure for this category"),
    ("smaller", "Smaller than the reference Unit of Measure"),
)


def uom_models(*, relative: bool = False) -> list[Model]:
    """Units of measure as Odoo 17 has them (``uom.category`` + ``uom.uom`` with ``factor``,
    ``factor_inv``, ``rounding``, ``uom_type``), or (``relative``) as Odoo 19 does: no category, a
    unit is ``relative_factor`` times its ``relative_uom_id``, ``factor`` (computed, stored) is
    reference units per unit, ``rounding`` is computed from the "Product Unit" precision."""
    if relative:
        return [
            Model(
                "uom.uom",
                "Product Unit of Measure",
                {
                    "name": Field(CHAR, "Unit Name", required=True),
                    "relative_factor": Field("float", "Contains", required=True, default=1.0),
                    "relative_uom_id": _m2o("uom.uom", "Reference Unit"),
                    "factor": Field("float", "Absolute Quantity", readonly=True, compute=True),
                    "rounding": Field("float", "Rounding Precision", readonly=True, compute=True),
                    "active": Field("boolean", "Active", default=True),
                },
                order="sequence, relative_uom_id, id",
            )
        ]
    return [
        Model(
            "uom.category",
            "Product UoM Categories",
            {"name": Field(CHAR, "Unit of Measure Category", required=True)},
        ),
        Model(
            "uom.uom",
            "Product Unit of Measure",
            {
                "name": Field(CHAR, "Unit of Measure", required=True),
                "category_id": _m2o("uom.category", "Category", required=True),
                "factor": Field("float", "Ratio", required=True, default=1.0),
                "factor_inv": Field("float", "Bigger Ratio", readonly=True, compute=True),
                "rounding": Field("float", "Rounding Precision", required=True, default=0.01),
                "uom_type": _sel("Type", UOM_TYPES, required=True, default="reference"),
                "active": Field("boolean", "Active", default=True),
            },
            order="factor DESC, id",
        ),
    ]


_MODELS: list[Model] = [
    Model(
        "res.company",
        "Companies",
        {
            "name": Field(CHAR, "Company Name", required=True),
            "partner_id": _m2o("res.partner", "Partner"),
            "currency_id": Field(CHAR, "Currency", default="USD"),
        },
        order="sequence, name",
    ),
    Model(
        "res.partner",
        "Contact",
        {
            "name": Field(CHAR, "Name"),
            "email": Field(CHAR, "Email"),
            "phone": Field(CHAR, "Phone"),
            "street": Field(CHAR, "Street"),
            "city": Field(CHAR, "City"),
            "zip": Field(CHAR, "Zip"),
            "ref": Field(CHAR, "Reference"),
            "color": Field("integer", "Color Index", default=0),
            "is_company": Field("boolean", "Is a Company", default=False),
            "company_id": _m2o("res.company", "Company"),
            "active": Field("boolean", "Active", default=True),
        },
        order="complete_name ASC, id DESC",
    ),
    Model(
        "res.users",
        "User",
        {
            "login": Field(CHAR, "Login", required=True),
            "name": Field(CHAR, "Name"),
            "partner_id": _m2o("res.partner", "Related Partner"),
            "company_id": _m2o("res.company", "Company"),
            "company_ids": Field("many2many", "Companies", relation="res.company"),
            "lang": Field(CHAR, "Language", default="en_US"),
            "tz": Field(CHAR, "Timezone", default="UTC"),
            "active": Field("boolean", "Active", default=True),
        },
        order="name, login",
        methods=("context_get",),
    ),
    *uom_models(),  # Odoo 17's; release.present_as swaps in 19's
    product_model(),  # Odoo 17's; release.present_as swaps in 18+'s
    Model(
        "stock.location",
        "Inventory Locations",
        {
            "name": Field(CHAR, "Location Name", required=True),
            "complete_name": Field(CHAR, "Full Location Name", readonly=True, compute=True),
            "usage": _sel("Location Type", LOCATION_USAGES, required=True, default="internal"),
            "location_id": _m2o("stock.location", "Parent Location"),
            "warehouse_id": _m2o("stock.warehouse", "Warehouse", readonly=True, compute=True),
            "company_id": _m2o("res.company", "Company"),
            "active": Field("boolean", "Active", default=True),
        },
        order="complete_name, id",
        rec_name="complete_name",
    ),
    Model(
        "stock.warehouse",
        "Warehouse",
        {
            "name": Field(CHAR, "Warehouse", required=True),
            "code": Field(CHAR, "Short Name", required=True),
            "company_id": _m2o("res.company", "Company"),
            "partner_id": _m2o("res.partner", "Address"),
            "view_location_id": _m2o("stock.location", "View Location"),
            "lot_stock_id": _m2o("stock.location", "Location Stock"),
            "in_type_id": _m2o("stock.picking.type", "In Type"),
            "out_type_id": _m2o("stock.picking.type", "Out Type"),
            "int_type_id": _m2o("stock.picking.type", "Internal Type"),
            "active": Field("boolean", "Active", default=True),
        },
        order="sequence,id",
    ),
    Model(
        "stock.picking.type",
        "Picking Type",
        {
            "name": Field(CHAR, "Operation Type", required=True),
            "code": _sel("Type of Operation", PICKING_TYPE_CODES, required=True, default="incoming"),
            "sequence_code": Field(CHAR, "Sequence Prefix", required=True),
            "warehouse_id": _m2o("stock.warehouse", "Warehouse"),
            "default_location_src_id": _m2o("stock.location", "Default Source Location"),
            "default_location_dest_id": _m2o("stock.location", "Default Destination Location"),
            "create_backorder": _sel(
                "Create Backorder", (("ask", "Ask"), ("always", "Always"), ("never", "Never")), default="ask"
            ),
            "reservation_method": _sel(
                "Reservation Method",
                (
                    ("at_confirm", "At Confirmation"),
                    ("manual", "Manually"),
                    ("by_date", "Before scheduled date"),
                ),
                default="at_confirm",
            ),
            "company_id": _m2o("res.company", "Company"),
            "active": Field("boolean", "Active", default=True),
        },
        order="sequence, id",
    ),
    Model(
        "stock.route",
        "Inventory Routes",
        {
            "name": Field(CHAR, "Route", required=True),
            "active": Field("boolean", "Active", default=True),
            "sequence": Field("integer", "Sequence", default=0),
            "rule_ids": _o2m("stock.rule", "route_id", "Rules"),
            "product_selectable": Field("boolean", "Applicable on Product", default=True),
            "product_categ_selectable": Field("boolean", "Applicable on Product Category", default=False),
            "warehouse_selectable": Field("boolean", "Applicable on Warehouse", default=False),
            "sale_selectable": Field("boolean", "Selectable on Sales Order Line", default=False),
            "company_id": _m2o("res.company", "Company"),
        },
        order="sequence",
    ),
    Model(
        "stock.rule",
        "Stock Rule",
        {
            "name": Field(CHAR, "Name", required=True),
            "active": Field("boolean", "Active", default=True),
            "action": _sel("Action", RULE_ACTIONS, required=True, default="pull"),
            "sequence": Field("integer", "Sequence", default=20),
            "company_id": _m2o("res.company", "Company"),
            "location_dest_id": _m2o("stock.location", "Destination Location", required=True),
            "location_src_id": _m2o("stock.location", "Source Location"),
            "route_id": _m2o("stock.route", "Route", required=True),
            "route_sequence": Field("integer", "Route Sequence", readonly=True, compute=True),
            "picking_type_id": _m2o("stock.picking.type", "Operation Type", required=True),
            "procure_method": _sel("Supply Method", PROCURE_METHODS, required=True, default="make_to_stock"),
            "warehouse_id": _m2o("stock.warehouse", "Warehouse"),
            "propagate_warehouse_id": _m2o("stock.warehouse", "Warehouse to Propagate"),
            "group_propagation_option": _sel(
                "Propagation of Procurement Group",
                (("none", "Leave Empty"), ("propagate", "Propagate"), ("fixed", "Fixed")),
                default="propagate",
            ),
        },
        order="sequence, id",
    ),
    Model(
        "stock.quant",
        "Quants",
        {
            "product_id": _m2o("product.product", "Product", required=True),
            "location_id": _m2o("stock.location", "Location", required=True),
            "warehouse_id": _m2o("stock.warehouse", "Warehouse", readonly=True, compute=True),
            "lot_id": _m2o("stock.lot", "Lot/Serial Number", readonly=True),
            "company_id": _m2o("res.company", "Company", readonly=True),
            "quantity": Field("float", "Quantity", readonly=True, default=0.0),
            "reserved_quantity": Field("float", "Reserved Quantity", readonly=True, default=0.0),
            "available_quantity": Field("float", "Available Quantity", readonly=True, compute=True),
            "inventory_quantity": Field("float", "Counted Quantity", default=0.0),
            "inventory_diff_quantity": Field("float", "Difference", readonly=True, compute=True),
            "inventory_quantity_set": Field("boolean", "Inventory Quantity Set", default=False),
            "inventory_quantity_auto_apply": Field("float", "Inventoried Quantity", compute=True),
            "in_date": Field("datetime", "Incoming Date", readonly=True),
            "last_count_date": Field("date", "Last Count Date", readonly=True),
        },
        order="location_id, lot_id, package_id, owner_id, id",
        rec_name="product_id",
        methods=("action_apply_inventory", "action_set_inventory_quantity_to_zero"),
    ),
    Model(
        "stock.picking",
        "Transfer",
        {
            "name": Field(CHAR, "Reference", default="/"),
            "origin": Field(CHAR, "Source Document"),
            "state": _sel("Status", PICKING_STATES, readonly=True, default="draft"),
            "move_type": _sel(
                "Shipping Policy",
                (("direct", "As soon as possible"), ("one", "When all products are ready")),
                default="direct",
            ),
            "picking_type_id": _m2o("stock.picking.type", "Operation Type", required=True),
            "picking_type_code": _sel("Type of Operation", PICKING_TYPE_CODES, readonly=True, compute=True),
            "location_id": _m2o("stock.location", "Source Location"),
            "location_dest_id": _m2o("stock.location", "Destination Location"),
            "move_ids": _o2m("stock.move", "picking_id", "Stock Moves"),
            "move_line_ids": _o2m("stock.move.line", "picking_id", "Operations"),
            "partner_id": _m2o("res.partner", "Contact"),
            "company_id": _m2o("res.company", "Company"),
            "carrier_id": _m2o("delivery.carrier", "Carrier"),
            "carrier_tracking_ref": Field(CHAR, "Tracking Reference"),
            "sale_id": _m2o("sale.order", "Sales Order"),
            "backorder_id": _m2o("stock.picking", "Back Order of"),
            "scheduled_date": Field("datetime", "Scheduled Date"),
            "date_deadline": Field("datetime", "Deadline"),
            "date_done": Field("datetime", "Date of Transfer", readonly=True),
            "note": Field("text", "Notes"),
            "priority": _sel("Priority", (("0", "Normal"), ("1", "Urgent")), default="0"),
        },
        order="priority desc, scheduled_date asc, id desc",
        methods=("action_confirm", "action_assign", "button_validate", "action_cancel", "do_unreserve"),
    ),
    Model(
        "stock.move",
        "Stock Move",
        {
            "name": Field(CHAR, "Description"),
            "reference": Field(CHAR, "Reference", readonly=True, compute=True),
            "origin": Field(CHAR, "Source Document"),
            "product_id": _m2o("product.product", "Product", required=True),
            "product_uom_qty": Field("float", "Demand", default=0.0),
            # the demand in the product's unit (stock.move._compute_product_qty: HALF-UP)
            "product_qty": Field("float", "Real Quantity", readonly=True, compute=True),
            "quantity": Field("float", "Quantity", default=0.0),
            "picked": Field("boolean", "Picked", default=False),
            "product_uom": _m2o("uom.uom", "UoM"),
            "location_id": _m2o("stock.location", "Source Location", required=True),
            "location_dest_id": _m2o("stock.location", "Destination Location", required=True),
            "state": _sel("Status", MOVE_STATES, readonly=True, default="draft"),
            "picking_id": _m2o("stock.picking", "Transfer"),
            "picking_type_id": _m2o("stock.picking.type", "Operation Type"),
            "picking_code": _sel("Type of Operation", PICKING_TYPE_CODES, readonly=True, compute=True),
            "move_line_ids": _o2m("stock.move.line", "move_id", "Move Lines"),
            "partner_id": _m2o("res.partner", "Destination Address"),
            "warehouse_id": _m2o("stock.warehouse", "Warehouse"),
            "sale_line_id": _m2o("sale.order.line", "Sale Line"),
            "company_id": _m2o("res.company", "Company"),
            "is_inventory": Field("boolean", "Inventory", default=False),
            "date": Field("datetime", "Date Scheduled"),
            "scrapped": Field("boolean", "Scrapped", default=False),
        },
        order="sequence, id",
    ),
    Model(
        "stock.move.line",
        "Product Moves (Stock Move Line)",
        {
            "move_id": _m2o("stock.move", "Stock Operation"),
            "picking_id": _m2o("stock.picking", "Transfer"),
            "product_id": _m2o("product.product", "Product"),
            "product_uom_id": _m2o("uom.uom", "Unit of Measure"),
            "quantity": Field("float", "Quantity", default=0.0),
            "picked": Field("boolean", "Picked", default=False),
            "location_id": _m2o("stock.location", "From"),
            "location_dest_id": _m2o("stock.location", "To"),
            "lot_id": _m2o("stock.lot", "Lot/Serial Number"),
            "state": _sel("Status", MOVE_STATES, readonly=True, compute=True),
            "reference": Field(CHAR, "Reference", readonly=True, compute=True),
            "date": Field("datetime", "Date"),
            "company_id": _m2o("res.company", "Company"),
        },
        order="result_package_id desc, location_id asc, location_dest_id asc, picking_id asc, id",
        rec_name="product_id",
    ),
    Model(
        "sale.order",
        "Sales Order",
        {
            "name": Field(CHAR, "Order Reference", default="New"),
            "state": _sel("Status", SALE_STATES, readonly=True, default="draft"),
            "locked": Field("boolean", "Locked", default=False),
            "partner_id": _m2o("res.partner", "Customer", required=True),
            "partner_shipping_id": _m2o("res.partner", "Delivery Address"),
            "company_id": _m2o("res.company", "Company"),
            "warehouse_id": _m2o("stock.warehouse", "Warehouse"),
            "carrier_id": _m2o("delivery.carrier", "Delivery Method"),
            "order_line": _o2m("sale.order.line", "order_id", "Order Lines"),
            "picking_ids": _o2m("stock.picking", "sale_id", "Transfers"),
            "delivery_count": Field("integer", "Delivery Orders", readonly=True, compute=True),
            "date_order": Field("datetime", "Order Date"),
            "client_order_ref": Field(CHAR, "Customer Reference"),
            "origin": Field(CHAR, "Source Document"),
            "note": Field("text", "Terms and conditions"),
        },
        order="date_order desc, id desc",
        methods=("action_confirm", "action_cancel", "action_draft", "action_quotation_sent", "message_post"),
    ),
    Model(
        "sale.order.line",
        "Sales Order Line",
        {
            "order_id": _m2o("sale.order", "Order Reference", required=True),
            "sequence": Field("integer", "Sequence", default=10),
            "name": Field("text", "Description"),
            "product_id": _m2o("product.product", "Product"),
            "product_uom_qty": Field("float", "Quantity", default=1.0),
            "product_uom": _m2o("uom.uom", "Unit of Measure"),
            "price_unit": Field("float", "Unit Price", default=0.0),
            "qty_delivered": Field("float", "Delivery Quantity", readonly=True, compute=True),
            "move_ids": _o2m("stock.move", "sale_line_id", "Stock Moves"),
            "state": _sel("Order Status", SALE_STATES, readonly=True, compute=True),
            "company_id": _m2o("res.company", "Company"),
            # sale_stock: the line's route, and the warehouse it ships from (computed from the route)
            "route_id": _m2o("stock.route", "Route"),
            "warehouse_id": _m2o("stock.warehouse", "Warehouse", readonly=True, compute=True),
        },
        order="order_id, sequence, id",
        rec_name="name",
    ),
    Model(
        "delivery.carrier",
        "Shipping Methods",
        {
            "name": Field(CHAR, "Delivery Method", required=True),
            "delivery_type": _sel(
                "Provider", (("fixed", "Fixed Price"), ("base_on_rule", "Based on Rules")), default="fixed"
            ),
            "fixed_price": Field("float", "Fixed Price", default=0.0),
            "company_id": _m2o("res.company", "Company"),
            "active": Field("boolean", "Active", default=True),
        },
        order="sequence, id",
    ),
    Model(
        "stock.backorder.confirmation",
        "Backorder Confirmation",
        {
            "pick_ids": Field("many2many", "Transfers", relation="stock.picking"),
            "show_transfers": Field("boolean", "Show Transfers", default=False),
        },
        transient=True,
        rec_name="id",
        methods=("process", "process_cancel_backorder"),
    ),
    Model(
        "mail.message",
        "Message",
        {
            "subject": Field(CHAR, "Subject"),
            "body": Field("html", "Contents", default=""),
            "model": Field(CHAR, "Related Document Model"),
            "res_id": Field("integer", "Related Document ID"),
            "record_name": Field(CHAR, "Message Record Name"),
            "message_type": _sel("Type", MESSAGE_TYPES, required=True, default="comment"),
            "author_id": _m2o("res.partner", "Author"),
            "date": Field("datetime", "Date"),
        },
        order="id desc",
        rec_name="record_name",
    ),
    Model(
        "ir.model",
        "Models",
        {
            "model": Field(CHAR, "Model", required=True),
            "name": Field(CHAR, "Model Description", required=True),
            "state": _sel("Type", (("manual", "Custom Object"), ("base", "Base Object")), default="manual"),
            "transient": Field("boolean", "Transient Model", default=False),
        },
        order="model",
    ),
    # A custom model as created through Settings > Technical > Models (ir.model, state 'manual'):
    # custom model and field names start with 'x_'; x_name is the record name.
    Model(
        ATP_MODEL,
        "SupplyStream available-to-promise",
        {
            "x_name": Field(CHAR, "Name"),
            "x_sku": Field(CHAR, "SKU"),
            "x_warehouse_code": Field(CHAR, "Warehouse Code"),
            "x_on_hand": Field("float", "On Hand", default=0.0),
            "x_reserved": Field("float", "Reserved", default=0.0),
            "x_atp": Field("float", "Available To Promise", default=0.0),
            # The version as zero-padded digits (supplystream.odoo.operations.version_text): an
            # integer field is int4 in Odoo, too small for clock-microsecond versions.
            "x_version": Field(CHAR, "ATP version"),
            "x_event_id": Field(CHAR, "Event ID"),
        },
        rec_name="x_name",
        custom=True,
    ),
]

MODELS: dict[str, Model] = {model.name: model for model in _MODELS}


def fields_of(model: str) -> dict[str, Field]:
    """All fields of ``model`` including the magic ones (id, display_name, create/write info)."""
    return {**MAGIC_FIELDS, **MODELS[model].fields}
