"""French, German and Spanish keywords for the built-in taxonomies' main themes, by taxonomy and
theme name: ``{taxonomy: {theme: {language: [keyword, ...]}}}``.

Written by hand for :mod:`nlp.foreign_keywords`, which matches them casefolded, without accents,
whole words only, with a plural ``s x e n en es`` tolerated on words of four letters or more; so
each keyword is in its base (singular) form, and irregular forms are listed separately. Kept apart
from the English keyword lists so either can change without touching the other;
:mod:`nlp.taxonomies` merges them into each theme as ``keywords_by_language``.
"""

from __future__ import annotations

KEYWORDS_BY_LANGUAGE: dict[str, dict[str, dict[str, list[str]]]] = {
    "saas": {
        "pricing": {
            "fr": [
                "prix",
                "tarif",
                "tarification",
                "cher",
                "chère",
                "coût",
                "abonnement trop cher",
                "formule",
            ],
            "de": ["Preis", "teuer", "günstig", "Kosten", "Tarif", "Preiserhöhung", "Preis-Leistung"],
            "es": ["precio", "caro", "barato", "coste", "costo", "tarifa", "plan gratuito"],
        },
        "billing": {
            "fr": [
                "facture",
                "facturation",
                "paiement",
                "prélèvement",
                "remboursement",
                "débité",
                "carte bancaire",
            ],
            "de": [
                "Rechnung",
                "Abrechnung",
                "Zahlung",
                "Rückerstattung",
                "abgebucht",
                "Kreditkarte",
                "Kündigung",
            ],
            "es": ["factura", "facturación", "pago", "cobro", "cobrado", "reembolso", "tarjeta de crédito"],
        },
        "onboarding": {
            "fr": [
                "prise en main",
                "inscription",
                "installation",
                "configuration",
                "essai gratuit",
                "démarrage",
            ],
            "de": ["Einrichtung", "Registrierung", "Installation", "Testphase", "Einarbeitung", "Einstieg"],
            "es": ["registro", "instalación", "configuración", "prueba gratuita", "primeros pasos"],
        },
        "usability": {
            "fr": [
                "interface",
                "ergonomie",
                "intuitif",
                "intuitive",
                "facile à utiliser",
                "compliqué",
                "navigation",
            ],
            "de": [
                "Benutzeroberfläche",
                "Oberfläche",
                "Bedienung",
                "intuitiv",
                "benutzerfreundlich",
                "kompliziert",
            ],
            "es": [
                "interfaz",
                "intuitivo",
                "intuitiva",
                "fácil de usar",
                "complicado",
                "navegación",
                "diseño",
            ],
        },
        "performance": {
            "fr": ["lent", "lente", "lenteur", "rapide", "rapidité", "chargement", "temps de chargement"],
            "de": ["langsam", "schnell", "Ladezeit", "Geschwindigkeit", "Performance", "lädt ewig"],
            "es": ["lento", "lenta", "lentitud", "rápido", "rápida", "velocidad", "tiempo de carga"],
        },
        "reliability": {
            "fr": [
                "bug",
                "bugs",
                "bogue",
                "plantage",
                "plante",
                "erreur",
                "panne",
                "ne fonctionne pas",
                "ne marche pas",
            ],
            "de": ["Fehler", "Absturz", "stürzt ab", "Ausfall", "funktioniert nicht", "Bug", "Bugs"],
            "es": ["error", "fallo", "falla", "caída", "se cuelga", "no funciona", "bug", "bugs"],
        },
        "missing features": {
            "fr": ["fonctionnalité manquante", "il manque", "manque", "j'aimerais", "ce serait bien"],
            "de": ["fehlt", "Funktion fehlt", "wünschenswert", "wäre schön", "vermisse"],
            "es": ["falta", "echo de menos", "sería genial", "me gustaría", "función"],
        },
        "integrations": {
            "fr": ["intégration", "synchronisation", "connecteur", "exportation"],
            "de": ["Integration", "Schnittstelle", "Synchronisierung", "Anbindung", "Export"],
            "es": ["integración", "sincronización", "conector", "exportación"],
        },
        "support": {
            "fr": ["service client", "support", "assistance", "conseiller", "réponse", "SAV"],
            "de": ["Kundenservice", "Kundendienst", "Support", "Hotline", "Ansprechpartner"],
            "es": ["atención al cliente", "servicio al cliente", "soporte", "asistencia", "respuesta"],
        },
        "documentation": {
            "fr": ["documentation", "tutoriel", "mode d'emploi", "guide", "aide en ligne"],
            "de": ["Dokumentation", "Anleitung", "Handbuch", "Hilfeseite"],
            "es": ["documentación", "tutorial", "manual", "guía"],
        },
        "mobile": {
            "fr": ["application mobile", "appli", "smartphone", "téléphone", "tablette"],
            "de": ["mobile App", "Handy", "Smartphone", "Tablet"],
            "es": ["aplicación móvil", "móvil", "celular", "teléfono", "tableta"],
        },
        "security & privacy": {
            "fr": ["sécurité", "confidentialité", "mot de passe", "données personnelles", "RGPD", "piratage"],
            "de": ["Sicherheit", "Datenschutz", "Passwort", "DSGVO", "gehackt", "Berechtigung"],
            "es": ["seguridad", "privacidad", "contraseña", "datos personales", "RGPD", "hackeado"],
        },
        "reporting": {
            "fr": ["rapport", "statistique", "tableau de bord", "graphique", "indicateur"],
            "de": ["Bericht", "Auswertung", "Statistik", "Diagramm", "Kennzahl"],
            "es": ["informe", "estadística", "panel", "gráfico", "métrica"],
        },
        "notifications": {
            "fr": ["notification", "alerte", "rappel", "trop de mails"],
            "de": ["Benachrichtigung", "Erinnerung", "zu viele Mails"],
            "es": ["notificación", "alerta", "recordatorio", "demasiados correos"],
        },
        "overall": {
            "fr": ["produit", "logiciel", "outil", "plateforme", "application", "je recommande"],
            "de": ["Produkt", "Software", "Werkzeug", "Plattform", "Anwendung", "empfehlenswert"],
            "es": ["producto", "programa", "herramienta", "plataforma", "aplicación", "lo recomiendo"],
        },
    },
    "restaurant": {
        "food": {
            "fr": [
                "nourriture",
                "plat",
                "repas",
                "cuisine",
                "goût",
                "délicieux",
                "dessert",
                "entrée",
                "menu",
            ],
            "de": ["Essen", "Gericht", "Speise", "Küche", "Geschmack", "lecker", "Nachtisch", "Vorspeise"],
            "es": ["comida", "plato", "cocina", "sabor", "delicioso", "deliciosa", "postre", "menú"],
        },
        "service": {
            "fr": ["service", "serveur", "serveuse", "personnel", "accueil", "attente", "réservation"],
            "de": ["Service", "Bedienung", "Kellner", "Kellnerin", "Personal", "Wartezeit", "Reservierung"],
            "es": ["servicio", "camarero", "camarera", "mesero", "personal", "atención", "espera", "reserva"],
        },
        "price": {
            "fr": ["prix", "addition", "cher", "chère", "rapport qualité-prix", "tarif"],
            "de": ["Preis", "Rechnung", "teuer", "günstig", "Preis-Leistung"],
            "es": ["precio", "caro", "cara", "barato", "calidad-precio"],
        },
        "ambience": {
            "fr": ["ambiance", "décor", "décoration", "musique", "bruit", "bruyant", "terrasse", "cadre"],
            "de": ["Ambiente", "Atmosphäre", "Einrichtung", "Musik", "Lärm", "Terrasse"],
            "es": ["ambiente", "decoración", "música", "ruido", "ruidoso", "terraza"],
        },
        "overall": {
            "fr": ["restaurant", "endroit", "expérience", "je recommande"],
            "de": ["Restaurant", "Lokal", "Erlebnis", "empfehlenswert"],
            "es": ["restaurante", "lugar", "experiencia", "lo recomiendo"],
        },
    },
    "app-reviews": {
        "bug": {
            "fr": [
                "bug",
                "bugs",
                "bogue",
                "plantage",
                "plante",
                "erreur",
                "ne fonctionne pas",
                "ne s'ouvre pas",
            ],
            "de": ["Fehler", "Absturz", "stürzt ab", "funktioniert nicht", "Bug", "Bugs", "öffnet nicht"],
            "es": ["error", "fallo", "se cierra", "se cuelga", "no funciona", "no abre", "bug", "bugs"],
        },
        "feature": {
            "fr": ["fonctionnalité", "option", "il manque", "j'aimerais", "ce serait bien", "ajouter"],
            "de": ["Funktion", "Option", "fehlt", "wäre schön", "hinzufügen"],
            "es": ["función", "opción", "falta", "me gustaría", "sería genial", "añadir"],
        },
        "performance": {
            "fr": ["lent", "lente", "lenteur", "rapide", "fluide", "chargement"],
            "de": ["langsam", "schnell", "flüssig", "ruckelt", "Ladezeit"],
            "es": ["lento", "lenta", "rápido", "rápida", "fluido", "carga"],
        },
        "usability": {
            "fr": [
                "interface",
                "ergonomie",
                "intuitif",
                "intuitive",
                "facile à utiliser",
                "compliqué",
                "bouton",
            ],
            "de": ["Oberfläche", "Bedienung", "intuitiv", "benutzerfreundlich", "kompliziert", "Knopf"],
            "es": ["interfaz", "intuitivo", "intuitiva", "fácil de usar", "complicado", "botón"],
        },
        "energy": {
            "fr": ["batterie", "autonomie", "consommation", "chauffe"],
            "de": ["Akku", "Akkulaufzeit", "Stromverbrauch", "wird heiß"],
            "es": ["batería", "consumo", "se calienta"],
        },
        "security": {
            "fr": [
                "sécurité",
                "confidentialité",
                "mot de passe",
                "données personnelles",
                "virus",
                "piratage",
            ],
            "de": ["Sicherheit", "Datenschutz", "Passwort", "Virus", "gehackt", "persönliche Daten"],
            "es": ["seguridad", "privacidad", "contraseña", "virus", "datos personales", "hackeado"],
        },
        "overall": {
            "fr": ["application", "appli", "jeu", "je recommande"],
            "de": ["App", "Anwendung", "Spiel", "empfehlenswert"],
            "es": ["aplicación", "juego", "lo recomiendo"],
        },
    },
}
