-- The personal-data form's phone number, kept with the order (NULL when not asked).
ALTER TABLE orders ADD COLUMN phone TEXT;
