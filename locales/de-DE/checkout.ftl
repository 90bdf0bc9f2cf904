# Die Kassenseiten für einen Shop (templates/checkout/).

secure-checkout = Sichere Kasse
checkout-nav = Kasse
signed-in-as = Angemeldet als
back-to-basket = Zurück zum Warenkorb
checkout-steps = Schritte der Bestellung
step-done-hidden = (erledigt)
step-start = Anmelden
step-details = Ihre Angaben
step-review = Prüfen
step-payment = Zahlung
step-done = Bestätigung
checkout-footer = Sie bestellen bei { $store }. Zahlung und Ihre Angaben verarbeitet die gemeinsame Kasse des Shops.
return-to-store = Zurück zu { $store }

summary-title = Ihre Bestellung
subtotal = Zwischensumme
total = Gesamtsumme
delivery-next-step = Die Lieferart wählen Sie im nächsten Schritt.
change-basket = Warenkorb ändern

start-title = Kasse
start-heading = Bestellen bei { $store }
start-lead = Wie möchten Sie fortfahren?
start-login-title = Mit Ihrem Konto anmelden
start-login-own = Melden Sie sich bei { $store } an: Wir füllen Ihre Angaben aus, und die Bestellung erscheint dort in Ihrem Konto.
start-login-external = Melden Sie sich mit Ihrem Zugang bei { $store } an: Wir füllen Ihre Angaben aus. { $store } hat keine Kontoseiten mit Bestellungen, bewahren Sie also die Bestellnummer auf, die Sie am Ende erhalten.
start-login-button = Mit { $store } anmelden
start-password-own = Ihr Passwort geben Sie auf der Seite von { $store } selbst ein, niemals hier.
start-password-external = Ihr Passwort geben Sie auf der Anmeldeseite von { $store } ein, niemals hier.
start-guest-title = Als Gast fortfahren
start-guest = Kein Konto nötig: Geben Sie Ihre Angaben im nächsten Schritt ein. Die Bestellung ist mit keinem Konto verknüpft.
start-guest-button = Als Gast fortfahren

details-title = Ihre Angaben
payment-failed-title = Ihre Zahlung ist nicht durchgegangen
payment-failed-details = Es wurde nichts abgebucht. Prüfen Sie Ihre Angaben, wählen Sie eine Zahlungsart und versuchen Sie es erneut.
details-prefilled = Wir haben eingetragen, was { $store } über Sie weiß, { $name }. Prüfen Sie es und ändern Sie, was Sie möchten.
legend-delivery-address = Lieferadresse
delivery-same = An meine Rechnungsadresse liefern
delivery-same-hint = Um die Bestellung anderswohin zu schicken, entfernen Sie das Häkchen oben und füllen Sie die Lieferadresse aus.
legend-delivery-method = Lieferart
legend-payment-method = Zahlungsart
no-payment-method = { $store } bietet gerade keine Zahlungsart an. Bitte versuchen Sie es später noch einmal.
privacy-policy = Ich habe die Datenschutzerklärung von { $store } gelesen und bin einverstanden, dass meine Angaben zur Abwicklung dieser Bestellung verwendet werden.
details-submit-review = Weiter zur Prüfung
place-order = Zahlungspflichtig bestellen
field-recipient = Name des Empfängers
field-email-hint = Der Shop nutzt sie für Fragen zu Ihrer Bestellung.
field-phone-hint = Nur, falls der Zusteller Sie erreichen muss.
country-choose = Land auswählen

review-title = Bestellung prüfen
payment-failed-review = Es wurde nichts abgebucht. Versuchen Sie es erneut, oder
payment-failed-review-link = wählen Sie eine andere Zahlungsart
same-as-billing = Wie die Rechnungsadresse
change-details = Angaben ändern
review-agree = Mit der Bestellung verpflichten Sie sich, { $total } an { $store } zu zahlen.

payment-title = Zahlung
payment-continue = Weiter zur Zahlungsseite
payment-updates = Diese Seite aktualisiert sich von selbst.
payment-check-again = Erneut prüfen

success-title = Vielen Dank für Ihre Bestellung
success-placed = Ihre Bestellung ist eingegangen.
success-number = Ihre Bestellnummer lautet
success-ordered-with = Bestellt mit
success-prepares = { $store } bereitet sie vor. Lieferung: { $delivery }. Zahlung: { $payment }.
success-caption = Ihre Bestellung
success-total = Bezahlt oder fällig
success-account = Die Bestellung in Ihrem Konto bei { $store } ansehen
success-elsewhere = { $store } hat keine Kontoseiten mit Bestellungen. Bewahren Sie die Bestellnummer für Rückfragen auf.
success-guest = Sie haben als Gast bestellt, daher ist diese Bestellung mit keinem Konto verknüpft. Bewahren Sie die Bestellnummer für Rückfragen auf.
success-continue = Weiter einkaufen bei { $store }

delivery-standard = Standardversand
delivery-standard-promise = 2–4 Werktage
delivery-express = Expressversand
delivery-express-promise = Am nächsten Werktag bei Bestellung vor 14 Uhr

rp-login-explained = Sie gehen zur Anmeldeseite von { $store } und kommen gleich mit ausgefüllten Angaben hierher zurück. Die Kasse sieht Ihr Passwort nie.
rp-back = Zurück zur Kasse

payment-confirm-at-provider = Ihr Zahlungsanbieter bittet Sie, die Zahlung auf seiner Seite zu bestätigen.
payment-complete = Zahlung abschließen
payment-follow-provider = Folgen Sie den Anweisungen Ihres Zahlungsanbieters.
waiting-order = Wir geben Ihre Bestellung auf
waiting-order-message = Wir prüfen Ihren Warenkorb und geben Ihre Bestellung auf. Das dauert ein paar Sekunden. Bitte zahlen Sie nicht doppelt.
waiting-payment-start = Wir bereiten Ihre Zahlung vor
waiting-payment-start-message = Wir warten darauf, dass der Zahlungsanbieter Ihre Zahlung vorbereitet. Bitte zahlen Sie nicht doppelt.
waiting-payment-confirmation = Wir warten auf Ihre Zahlung
waiting-payment-confirmation-message = Wir warten darauf, dass der Zahlungsanbieter Ihre Zahlung bestätigt. Sobald er das tut, ist Ihre Bestellung aufgegeben. Bitte zahlen Sie nicht doppelt.
waiting-rollback = Wir brechen diesen Versuch ab
waiting-rollback-message = Diese Bestellung wurde nicht aufgegeben. Wir stornieren die Zahlung und öffnen Ihren Warenkorb wieder; danach können Sie es erneut versuchen.

notice-empty-basket = Es gibt noch nichts zu bestellen. Legen Sie bei { $store } etwas in den Warenkorb und kommen Sie zurück.
notice-nothing-to-check-out = Es gibt nichts zu bestellen
notice-no-items = Dieser Warenkorb ist leer und kann daher nicht bestellt werden.
notice-shop-at = Bei { $store } einkaufen
notice-go-to-basket = Zu Ihrem Warenkorb bei { $store }
notice-not-handed-off = Öffnen Sie die Kasse aus Ihrem Warenkorb
notice-not-handed-off-message = Diese Kasse wurde in diesem Browser nicht aus Ihrem Warenkorb geöffnet und kann daher hier nicht angezeigt werden. Gehen Sie zu Ihrem Warenkorb bei { $store } und klicken Sie auf „Zur Kasse“.
notice-ticket-expired = Dieser Kassen-Link ist abgelaufen
notice-ticket-expired-message = Kassen-Links von { $store } gelten nur einmal und nur eine Minute lang. Gehen Sie zurück zu Ihrem Warenkorb und klicken Sie erneut auf „Zur Kasse“.
notice-unknown-basket = Wir konnten diesen Warenkorb nicht finden
notice-unknown-basket-message = Dieser Kassen-Link passt zu keinem Warenkorb bei { $store }. Er ist vielleicht veraltet oder falsch eingegeben. Beginnen Sie wieder bei Ihrem Warenkorb im Shop.
notice-being-ordered = Dieser Warenkorb wird bereits bestellt
notice-being-ordered-message = Für diesen Warenkorb wird bereits eine Bestellung mit anderen Angaben aufgegeben. Ihre wurde daher nicht aufgegeben, und nichts wurde abgebucht. Falls Sie das nicht waren, beginnen Sie wieder bei Ihrem Warenkorb im Shop.
notice-not-shown = Diese Bestellung wird hier nicht angezeigt
notice-placed-by-storefront = Diese Bestellung gibt { $store } auf. Im Shop sehen Sie, wie es um sie steht.
notice-started-elsewhere = Diese Bestellung wurde in einem anderen Browser begonnen und ist nur dort zu sehen.
notice-go-to-store = Zu { $store }
notice-basket-changed = Ihr Warenkorb hat sich geändert
notice-basket-changed-message = { $reason } Es wurde nichts abgebucht.
notice-not-placed = Wir konnten Ihre Bestellung nicht aufgeben
notice-not-placed-message = { $reason } Es wurde nichts abgebucht. Bitte versuchen Sie es gleich noch einmal.
notice-back-to-details = Zurück zu Ihren Angaben
notice-total-changed = Die Summe Ihrer Bestellung ist jetzt { $total }. Prüfen Sie die Bestellung und bestellen Sie erneut.
notice-form-incomplete = Das Bestellformular war unvollständig. Prüfen Sie die Bestellung und bestellen Sie erneut.

## What is wrong with a field of the details form
error-too-long = Das ist zu lang.
error-phone = Geben Sie eine Telefonnummer aus Ziffern ein, zum Beispiel +49 30 1234567.
error-delivery-method = Wählen Sie eine der angezeigten Lieferarten.
error-privacy-policy = Stimmen Sie der Datenschutzerklärung zu, um zu bestellen.
error-email-missing = Geben Sie Ihre E-Mail-Adresse ein, damit wir die Bestellung bestätigen können.
error-email-invalid = Geben Sie eine E-Mail-Adresse in der Form name@example.com ein.
error-payment-missing = Wählen Sie, wie Sie bezahlen möchten.
error-payment-unknown = Wählen Sie eine der angezeigten Zahlungsarten.
# The subject of a reason below: "Der Ort der Rechnungsadresse" + "fehlt".
subject-billing-name = der Name auf der Rechnung
subject-billing-street = die Straße der Rechnungsadresse
subject-billing-postal-code = die Postleitzahl der Rechnungsadresse
subject-billing-city = der Ort der Rechnungsadresse
subject-billing-country = das Land der Rechnungsadresse
subject-delivery-name = der Name des Empfängers
subject-delivery-street = die Straße der Lieferadresse
subject-delivery-postal-code = die Postleitzahl der Lieferadresse
subject-delivery-city = der Ort der Lieferadresse
subject-delivery-country = das Land der Lieferadresse
# Reasons the domain gives for a value it refuses.
reason-is-required = fehlt
reason-is-too-long = ist zu lang
reason-contains-control-characters = enthält Steuerzeichen
reason-must-be-a-country-from-the-list-iso-3166-code-such-as-de-or-us = muss ein Land aus der Liste sein (ISO-3166-Code wie DE oder US)
reason-must-be-at-least-8-characters = muss mindestens 8 Zeichen lang sein
reason-must-be-at-most-256-characters = darf höchstens 256 Zeichen lang sein

## Payment gateways and their methods: payment-{gateway}, payment-{gateway}-{method}
payment-offline = Offline bezahlen
payment-offline-cash_on_delivery = Nachnahme
payment-offline-cash_in_advance = Vorkasse
payment-testgateway = Testzahlungsseite
payment-testgateway-card = Karte (Testzahlungsseite)
