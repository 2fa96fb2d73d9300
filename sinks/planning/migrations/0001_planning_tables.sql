-- The planning engine's tables, fed by the planning sink (sinks/planning/).
-- Every row stores the event that last wrote it (event_id) and that event's per-key version;
-- the sink's upserts only move forward (see sinks/planning/tables.py for each table's version).
-- Runs with search_path set to the target schema (default `planning`).

-- Available-to-promise per SKU and warehouse (atp.changed); version = the event's `version`.
CREATE TABLE inventory_positions (
    sku           text          NOT NULL,
    warehouse     text          NOT NULL,
    company       text          NOT NULL,
    on_hand       numeric(18,3) NOT NULL,
    reserved      numeric(18,3) NOT NULL,
    inbound       numeric(18,3) NOT NULL,
    safety_stock  numeric(18,3) NOT NULL,
    atp           numeric(18,3) NOT NULL,
    as_of         timestamptz   NOT NULL,
    occurred_at   timestamptz   NOT NULL,
    version       bigint        NOT NULL,
    event_id      uuid          NOT NULL,
    applied_at    timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (sku, warehouse)
);

-- Stock moves (stock.moved): facts, inserted once per event id; version = occurred_at millis.
CREATE TABLE stock_moves (
    event_id        uuid          PRIMARY KEY,
    sku             text          NOT NULL,
    warehouse       text          NOT NULL,
    company         text          NOT NULL,
    move_kind       text          NOT NULL,
    quantity        numeric(18,3) NOT NULL,
    uom             text          NOT NULL,
    from_location   text          NOT NULL,
    from_warehouse  text,
    to_location     text          NOT NULL,
    to_warehouse    text,
    odoo_move_id    bigint,
    odoo_picking_id bigint,
    reference       text,
    occurred_at     timestamptz   NOT NULL,
    version         bigint        NOT NULL,
    applied_at      timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX stock_moves_sku_warehouse ON stock_moves (sku, warehouse, occurred_at);

-- Demand: one row per order line (order.placed). Ordered quantities are positive (the contract says so).
CREATE TABLE demand_lines (
    order_id         text          NOT NULL,
    line_id          text          NOT NULL,
    company          text          NOT NULL,
    channel          text          NOT NULL,
    customer_ref     text          NOT NULL,
    ship_to_country  text          NOT NULL,
    ship_to_region   text,
    ship_to_postcode text,
    sku              text          NOT NULL,
    quantity         numeric(18,3) NOT NULL CHECK (quantity > 0),
    requested_date   date,
    priority         integer       NOT NULL,
    allow_partial    boolean       NOT NULL,
    placed_at        timestamptz   NOT NULL,
    version          bigint        NOT NULL,
    event_id         uuid          NOT NULL,
    applied_at       timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, line_id)
);
CREATE INDEX demand_lines_sku ON demand_lines (sku);

-- Reservations per order line and warehouse (order.allocated).
CREATE TABLE allocations (
    order_id     text          NOT NULL,
    line_id      text          NOT NULL,
    warehouse    text          NOT NULL,
    sku          text          NOT NULL,
    quantity     numeric(18,3) NOT NULL CHECK (quantity > 0),
    allocated_at timestamptz   NOT NULL,
    version      bigint        NOT NULL,
    event_id     uuid          NOT NULL,
    applied_at   timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, line_id, warehouse)
);

-- Order lines that could not be allocated (order.backordered).
CREATE TABLE backorders (
    order_id        text          NOT NULL,
    line_id         text          NOT NULL,
    sku             text          NOT NULL,
    quantity        numeric(18,3) NOT NULL,
    reason          text          NOT NULL,
    detail          text,
    backordered_at  timestamptz   NOT NULL,
    version         bigint        NOT NULL,
    event_id        uuid          NOT NULL,
    applied_at      timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, line_id)
);

-- Cancelled order lines (order.cancelled).
CREATE TABLE cancellations (
    order_id     text          NOT NULL,
    line_id      text          NOT NULL,
    sku          text          NOT NULL,
    warehouse    text,
    quantity     numeric(18,3) NOT NULL,
    reason       text,
    cancelled_at timestamptz   NOT NULL,
    version      bigint        NOT NULL,
    event_id     uuid          NOT NULL,
    applied_at   timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, line_id)
);

-- Shipped lines (shipment.confirmed); line_no is the line's position in the shipment.
CREATE TABLE shipments (
    shipment_id     text          NOT NULL,
    line_no         integer       NOT NULL,
    order_id        text          NOT NULL,
    line_id         text,
    warehouse       text          NOT NULL,
    sku             text          NOT NULL,
    quantity        numeric(18,3) NOT NULL,
    carrier         text          NOT NULL,
    tracking_number text          NOT NULL,
    odoo_picking_id bigint,
    shipped_at      timestamptz   NOT NULL,
    version         bigint        NOT NULL,
    event_id        uuid          NOT NULL,
    applied_at      timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (shipment_id, line_no)
);
CREATE INDEX shipments_order ON shipments (order_id);

-- Received purchase lines (purchase.received); line_no is the line's position in the receipt.
CREATE TABLE receipts (
    receipt_id        text          NOT NULL,
    line_no           integer       NOT NULL,
    purchase_order_id text,
    supplier          text,
    asn_reference     text,
    sku               text          NOT NULL,
    warehouse         text          NOT NULL,
    expected_quantity numeric(18,3) NOT NULL,
    received_quantity numeric(18,3) NOT NULL,
    received_at       timestamptz   NOT NULL,
    version           bigint        NOT NULL,
    event_id          uuid          NOT NULL,
    applied_at        timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (receipt_id, line_no)
);
