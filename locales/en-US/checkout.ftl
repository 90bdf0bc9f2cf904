# The checkout pages shown for a store (templates/checkout/).

secure-checkout = Secure checkout
checkout-nav = Checkout
signed-in-as = Signed in as
back-to-basket = Back to the basket
checkout-steps = Checkout steps
step-done-hidden = (done)
step-start = Sign in
step-details = Your details
step-review = Review
step-payment = Payment
step-done = Confirmation
checkout-footer = You are checking out at { $store }. Payments and your details are handled by the store's shared checkout.
return-to-store = Return to { $store }

summary-title = Your order
subtotal = Subtotal
total = Total
delivery-next-step = Delivery is chosen in the next step.
change-basket = Change the basket

start-title = Checkout
start-heading = Check out at { $store }
start-lead = How would you like to continue?
start-login-title = Log in with your account
start-login-own = Log in at { $store }: we fill in your details, and the order appears in your account there.
start-login-external = Log in with your { $store } login: we fill in your details. { $store } has no account pages to show orders in, so keep the order number you get at the end.
start-login-button = Log in with { $store }
start-password-own = You type your password on the { $store } site itself, never here.
start-password-external = You type your password on { $store }'s login page, never here.
start-guest-title = Continue as a guest
start-guest = No account needed: enter your details in the next step. The order is not linked to any account.
start-guest-button = Continue as guest

details-title = Your details
payment-failed-title = Your payment did not go through
payment-failed-details = Nothing was charged. Check your details, choose a payment method and try again.
details-prefilled = We filled in what { $store } knows about you, { $name }. Check it and change anything you like.
legend-delivery-address = Delivery address
delivery-same = Deliver to my billing address
delivery-same-hint = To send the order somewhere else, untick the box above and fill in the delivery address.
legend-delivery-method = Delivery method
legend-payment-method = Payment method
no-payment-method = { $store } offers no payment method right now. Please try again later.
privacy-policy = I have read the privacy policy of { $store } and agree that my details are used to process this order.
details-submit-review = Continue to review
place-order = Place order
field-recipient = Recipient's name
field-email-hint = The store uses it for questions about your order.
field-phone-hint = Only used if the courier needs to reach you.
country-choose = Choose a country

review-title = Review your order
payment-failed-review = Nothing was charged. Try again, or
payment-failed-review-link = choose another payment method
same-as-billing = Same as the billing address
change-details = Change these details
review-agree = By placing the order you agree to pay { $total } to { $store }.

payment-title = Payment
payment-continue = Continue to the payment page
payment-updates = This page updates by itself.
payment-check-again = Check again

success-title = Thank you for your order
success-placed = Your order has been placed.
success-number = Your order number is
success-ordered-with = Ordered with
success-prepares = { $store } prepares it. Delivery: { $delivery }. Payment: { $payment }.
success-caption = What you ordered
success-total = Total paid or due
success-account = See the order in your { $store } account
success-elsewhere = { $store } has no account pages to show orders in. Keep the order number for any questions.
success-guest = You checked out as a guest, so this order is not linked to an account. Keep the order number for any questions.
success-continue = Continue shopping at { $store }

delivery-standard = Standard delivery
delivery-standard-promise = 2–4 working days
delivery-express = Express delivery
delivery-express-promise = Next working day when ordered before 2 pm

rp-login-explained = You will go to { $store }'s own login page, then come straight back here with your details filled in. The checkout never sees your password.
rp-back = Back to the checkout

payment-confirm-at-provider = Your payment provider asks you to confirm the payment on its page.
payment-complete = Complete your payment
payment-follow-provider = Follow the instructions of your payment provider.
waiting-order = We are placing your order
waiting-order-message = We are checking your basket and placing your order. This takes a few seconds. Please do not pay twice.
waiting-payment-start = We are setting up your payment
waiting-payment-start-message = We are waiting for the payment provider to set up your payment. Please do not pay twice.
waiting-payment-confirmation = We are waiting for your payment
waiting-payment-confirmation-message = We are waiting for the payment provider to confirm your payment. Your order is placed as soon as it does. Please do not pay twice.
waiting-rollback = We are stopping this attempt
waiting-rollback-message = This order was not placed. We are cancelling its payment and reopening your basket; then you can try again.

notice-empty-basket = There is nothing to check out yet. Add something at { $store } and come back.
notice-nothing-to-check-out = There is nothing to check out
notice-no-items = This basket has no items, so it cannot be checked out.
notice-shop-at = Shop at { $store }
notice-go-to-basket = Go to your basket at { $store }
notice-not-handed-off = Open the checkout from your basket
notice-not-handed-off-message = This checkout was not opened from your basket in this browser, so it cannot be shown here. Go to your basket at { $store } and press Checkout.
notice-ticket-expired = This checkout link has expired
notice-ticket-expired-message = Checkout links from { $store } work once and only for a minute. Go back to your basket and press Checkout again.
notice-unknown-basket = We could not find this basket
notice-unknown-basket-message = This checkout link does not match a basket at { $store }. It may be old or mistyped. Your basket at the store is where to start again.
notice-being-ordered = This basket is already being ordered
notice-being-ordered-message = An order for this basket is already being placed with other details, so yours was not placed and nothing was charged. If that was not you, start again from your basket at the store.
notice-not-shown = This order is not shown here
notice-placed-by-storefront = This order is being placed by { $store }. Go back to the store to see how it stands.
notice-started-elsewhere = This order was started in another browser, so it can only be seen there.
notice-go-to-store = Go to { $store }
notice-basket-changed = Your basket changed
notice-basket-changed-message = { $reason } Nothing was charged.
notice-not-placed = We could not place your order
notice-not-placed-message = { $reason } Nothing was charged. Please try again in a moment.
notice-back-to-details = Back to your details
notice-total-changed = The total of your order has changed to { $total }. Check the order and place it again.
notice-form-incomplete = The order form was incomplete. Check the order and place it again.

## What is wrong with a field of the details form
error-too-long = This is too long.
error-phone = Enter a phone number with digits, for example +49 30 1234567.
error-delivery-method = Choose one of the delivery methods shown.
error-privacy-policy = Accept the privacy policy to place your order.
error-email-missing = Enter your email address, so we can confirm the order.
error-email-invalid = Enter an email address in the form name@example.com.
error-payment-missing = Choose how you want to pay.
error-payment-unknown = Choose one of the payment methods shown.
# The subject of a reason below: "The billing city" + "is required".
subject-billing-name = the billing name
subject-billing-street = the billing street
subject-billing-postal-code = the billing postal code
subject-billing-city = the billing city
subject-billing-country = the billing country
subject-delivery-name = the recipient's name
subject-delivery-street = the delivery street
subject-delivery-postal-code = the delivery postal code
subject-delivery-city = the delivery city
subject-delivery-country = the delivery country
# Reasons the domain gives for a value it refuses.
reason-is-required = is required
reason-is-too-long = is too long
reason-contains-control-characters = contains control characters
reason-must-be-a-country-from-the-list-iso-3166-code-such-as-de-or-us = must be a country from the list (ISO 3166 code such as DE or US)
reason-must-be-at-least-8-characters = must be at least 8 characters
reason-must-be-at-most-256-characters = must be at most 256 characters

## Payment gateways and their methods: payment-{gateway}, payment-{gateway}-{method}
payment-offline = Pay offline
payment-offline-cash_on_delivery = Cash on delivery
payment-offline-cash_in_advance = Cash in advance
payment-testgateway = Test payment page
payment-testgateway-card = Card (test payment page)
