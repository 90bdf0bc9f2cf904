-- A product's picture on the storefront, set by `products import`: an https URL or a path
-- under /static/. NULL shows the product's initial instead.
ALTER TABLE products ADD COLUMN image TEXT;
