# Die Seiten des Shops (templates/store/) und was alle Seiten teilen.

skip-link = Zum Inhalt springen
error-prefix = Fehler:
optional = (optional)
problem-title = Bitte prüfen Sie Ihre Eingaben

nav-main = Hauptmenü
nav-catalog = Katalog
nav-basket = Warenkorb
nav-account = Konto
nav-account-of = von { $name }
nav-log-out = Abmelden
nav-log-in = Anmelden
footer-store = Preise inkl. MwSt. · Lieferung in 2–4 Werktagen
footer-demo = Ein Demo-Shop von shared-checkout. Es werden keine echten Bestellungen versandt.

catalog-title = { $store }: Katalog
catalog-welcome = Willkommen bei { $store }
catalog-lead = Nützliche Dinge, gut gemacht. Wählen Sie aus, was Ihnen gefällt, und bestellen Sie in wenigen Schritten – als Gast oder mit Ihrem Konto.
catalog-empty-title = Noch nichts da
catalog-empty = Der Katalog ist leer. Schauen Sie bald wieder vorbei.
catalog-products = Produkte
quantity = Menge
of-product = von { $product }
add-to-basket = In den Warenkorb

basket-title = Ihr Warenkorb
basket-empty-title = Ihr Warenkorb ist leer
basket-empty = Hier ist noch nichts. Stöbern Sie im Katalog und legen Sie hinein, was Ihnen gefällt.
browse-catalog = Zum Katalog
basket-frozen = Für diesen Warenkorb läuft gerade eine Bestellung, daher kann er im Moment nicht geändert werden.
basket-items = Artikel
col-product = Produkt
col-price = Preis
col-total = Summe
col-order = Bestellung
col-date = Datum
col-payment = Zahlung
quantity-of = Menge von { $product }
update = Aktualisieren
remove = Entfernen
summary = Übersicht
basket-note = Lieferung und Zahlung wählen Sie an der Kasse.
checkout-button = Zur Kasse
continue-shopping = Weiter einkaufen

login-title = Anmelden
login-heading = Bei { $store } anmelden
login-new = Neu bei { $store }?
create-account = Konto erstellen
create-account-submit = Konto erstellen
register-intro = Ihr Konto gilt nur für { $store }: Wir speichern Ihre Angaben und zeigen hier Ihre Bestellungen.
register-have-account = Sie haben schon ein Konto?

account-title = Ihr Konto
account-logged-in-as = Angemeldet als
account-saved = Ihre Angaben wurden gespeichert.
account-details = Ihre Angaben
legend-contact = Kontakt
legend-billing = Rechnungsadresse
account-billing-hint = Damit füllen wir die Kasse für Sie aus. Lassen Sie alle Felder leer, um keine Adresse zu speichern.
account-save = Angaben speichern
account-orders = Ihre Bestellungen
account-no-orders = Sie haben bei { $store } noch nichts bestellt.
account-orders-caption = Ihre Bestellungen, neueste zuerst

field-email = E-Mail-Adresse
field-password = Passwort
field-full-name = Vollständiger Name
field-phone = Telefonnummer
field-street = Straße und Hausnummer
field-postal-code = Postleitzahl
field-city = Ort
field-country = Land
field-address-name = Name auf der Adresse
field-new-password-hint = Mindestens 8 Zeichen. Ein paar Wörter ohne Zusammenhang ergeben ein starkes Passwort.

signin-title = Anmelden
signin-heading = Bei { $store } anmelden
signin-for = Anmeldung bei { $store } für { $client }.
signin-use-account = Verwenden Sie E-Mail-Adresse und Passwort Ihres Kontos bei { $store }. Nach der Anmeldung geht es zurück zu
signin-no-account = Noch kein Konto? Sie können
signin-create = eines bei { $store } erstellen
signin-or-guest = { " " }oder zurückgehen und als Gast fortfahren.
logout-heading = Von { $store } abmelden?
logout-asked = Eine Anwendung hat darum gebeten, Sie auf diesem Browser von Ihrem Konto bei { $store } abzumelden.
logout-stay = Angemeldet bleiben und zum Shop

date-unknown = unbekannt

## What is wrong with a field of the account forms
account-error-choose-password = Wählen Sie ein Passwort.
account-error-email-missing = Geben Sie Ihre E-Mail-Adresse ein.
account-error-email-invalid = Geben Sie eine E-Mail-Adresse in der Form name@example.com ein.
account-error-name-missing = Geben Sie Ihren Namen ein.
account-error-email-taken = Zu dieser E-Mail-Adresse gibt es in diesem Shop schon ein Konto. Melden Sie sich stattdessen an.
account-error-password-missing = Geben Sie Ihr Passwort ein.
account-error-not-right = E-Mail-Adresse oder Passwort stimmen nicht. Prüfen Sie beides und versuchen Sie es noch einmal.
account-error-phone = Geben Sie eine Telefonnummer aus Ziffern, Leerzeichen und + - ( ) ein, etwa +49 30 1234567.
account-error-country = Wählen Sie ein Land aus der Liste.
account-error-billing-name-missing = Geben Sie den Namen ein, oder lassen Sie alle Adressfelder leer.
account-error-billing-street-missing = Geben Sie Straße und Hausnummer ein, oder lassen Sie alle Adressfelder leer.
account-error-billing-postal-code-missing = Geben Sie die Postleitzahl ein, oder lassen Sie alle Adressfelder leer.
account-error-billing-city-missing = Geben Sie den Ort ein, oder lassen Sie alle Adressfelder leer.
# The subject of a reason ("ist zu lang", in checkout.ftl): "Ihr Name" + "ist zu lang".
account-subject-password = Ihr Passwort
account-subject-name = Ihr Name
account-subject-billing-name = der Name
account-subject-billing-street = die Angabe zu Straße und Hausnummer
account-subject-billing-postal-code = die Postleitzahl
account-subject-billing-city = der Ort
