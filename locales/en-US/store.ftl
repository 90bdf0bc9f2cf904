# The store's own pages (templates/store/) and what every page shares.

skip-link = Skip to content
error-prefix = Error:
optional = (optional)
problem-title = There is a problem

nav-main = Main
nav-catalog = Catalog
nav-basket = Basket
nav-account = Account
nav-account-of = of { $name }
nav-log-out = Log out
nav-log-in = Log in
footer-store = Prices include VAT · Delivery in 2–4 working days
footer-demo = A demo shop of shared-checkout. No real orders are shipped.

catalog-title = { $store }: catalog
catalog-welcome = Welcome to { $store }
catalog-lead = Useful things, made well. Pick what you like and check out in a few steps, as a guest or with your account.
catalog-empty-title = Nothing here yet
catalog-empty = The catalog is empty. Please come back soon.
catalog-products = Products
quantity = Quantity
of-product = of { $product }
add-to-basket = Add to basket

basket-title = Your basket
basket-empty-title = Your basket is empty
basket-empty = Nothing in here yet. Have a look around the catalog and add what you like.
browse-catalog = Browse the catalog
basket-frozen = A checkout for this basket is in progress, so it cannot be changed right now.
basket-items = Items
col-product = Product
col-price = Price
col-total = Total
col-order = Order
col-date = Date
col-payment = Payment
quantity-of = Quantity of { $product }
update = Update
remove = Remove
summary = Summary
basket-note = Delivery and payment are chosen at checkout.
checkout-button = Checkout
continue-shopping = Continue shopping

login-title = Log in
login-heading = Log in to { $store }
login-new = New to { $store }?
create-account = Create an account
create-account-submit = Create account
register-intro = Your account is for { $store } only: we keep your details and show your orders here.
register-have-account = Already have an account?

account-title = Your account
account-logged-in-as = Logged in as
account-saved = Your details were saved.
account-details = Your details
legend-contact = Contact
legend-billing = Billing address
account-billing-hint = Used to fill in the checkout for you. Leave every field blank to keep no address.
account-save = Save details
account-orders = Your orders
account-no-orders = You have not ordered anything at { $store } yet.
account-orders-caption = Your orders, newest first

field-email = Email address
field-password = Password
field-full-name = Full name
field-phone = Phone number
field-street = Street and number
field-postal-code = Postal code
field-city = City
field-country = Country
field-address-name = Name on the address
field-new-password-hint = At least 8 characters. A few unrelated words make a strong password.

signin-title = Sign in
signin-heading = Sign in to { $store }
signin-for = Signing in to { $store } for { $client }.
signin-use-account = Use the email and password of your { $store } account. After you sign in you go back to
signin-no-account = No account yet? You can
signin-create = create one at { $store }
signin-or-guest = , or go back and continue as a guest.
logout-heading = Log out of { $store }?
logout-asked = An application asked to log you out of your { $store } account on this browser.
logout-stay = Stay logged in and go to the shop

date-unknown = unknown

## What is wrong with a field of the account forms
account-error-choose-password = Choose a password.
account-error-email-missing = Enter your email address.
account-error-email-invalid = Enter an email address in the form name@example.com.
account-error-name-missing = Enter your name.
account-error-email-taken = This email address already has an account at this store. Log in instead.
account-error-password-missing = Enter your password.
account-error-not-right = The email address or password is not right. Check both and try again.
account-error-phone = Enter a phone number with digits, spaces and + - ( ), like +49 30 1234567.
account-error-country = Choose a country from the list.
account-error-billing-name-missing = Enter the name, or leave every address field blank.
account-error-billing-street-missing = Enter the street and house number, or leave every address field blank.
account-error-billing-postal-code-missing = Enter the postal code, or leave every address field blank.
account-error-billing-city-missing = Enter the town or city, or leave every address field blank.
# The subject of a reason ("is too long", in checkout.ftl): "Your name" + "is too long".
account-subject-password = your password
account-subject-name = your name
account-subject-billing-name = the name
account-subject-billing-street = the street and house number
account-subject-billing-postal-code = the postal code
account-subject-billing-city = the town or city
