/*
 * brands.c - the brand table (see brands.h).
 *
 * Chosen from the brands that public phishing trackers (APWG, OpenPhish, PhishTank) report
 * most, plus the Brazilian banks and services that dominate Portuguese-language phishing, plus
 * the generic "mailbox administrator" personas that credential phishing uses. Words are
 * matched on word boundaries so "chase" in "purchase" is not Chase. Ambiguous ordinary words
 * ("apple", "orange", "target") are only brand names in the form they are used for
 * impersonation ("Apple ID", "Apple Support").
 */
#include <ctype.h>
#include <string.h>

#include "brands.h"

#define W(...) ((const char *const[]){__VA_ARGS__, NULL})

static const wp_brand brands[] = {
    {"PayPal", W("paypal"), W("paypal.", "paypal-communication.com", "paypalobjects.com")},
    {"Microsoft",
     W("microsoft", "office 365", "office365", "microsoft 365", "outlook team", "onedrive",
       "sharepoint", "hotmail", "windows live", "msn"),
     W("microsoft.", "office.com", "office365.com", "outlook.com", "live.com", "hotmail.com",
       "sharepoint.com", "onedrive.com", "microsoftonline.com", "msn.com", "bing.com", "skype.com",
       "windows.com", "azure.com", "linkedin.com", "xbox.com")},
    {"Apple", W("apple id", "apple support", "apple store", "itunes", "icloud", "apple pay"),
     W("apple.", "icloud.com", "me.com", "mac.com", "itunes.com")},
    {"Amazon", W("amazon", "prime video"), W("amazon.", "amazonses.com", "aws.com", "a2z.com")},
    {"Netflix", W("netflix"), W("netflix.", "nflxext.com", "nflxso.net")},
    {"Google", W("google", "gmail", "google drive", "google docs"),
     W("google.", "gmail.com", "googlemail.com", "youtube.com", "googleusercontent.com",
       "googlegroups.com", "blogger.com")},
    {"Facebook", W("facebook", "instagram", "whatsapp", "meta business"),
     W("facebook.", "fb.com", "facebookmail.com", "instagram.com", "whatsapp.com", "meta.com")},
    {"LinkedIn", W("linkedin"), W("linkedin.", "licdn.com")},
    {"DHL", W("dhl"), W("dhl.", "dpdhl.com", "dhl-news.com")},
    {"FedEx", W("fedex"), W("fedex.")},
    {"UPS", W("ups", "united parcel service"), W("ups.")},
    {"USPS", W("usps", "postal service"), W("usps.")},
    {"DocuSign", W("docusign"), W("docusign.")},
    {"Dropbox", W("dropbox"), W("dropbox.", "dropboxmail.com")},
    {"Adobe", W("adobe", "adobe sign", "acrobat"), W("adobe.", "adobesign.com", "echosign.com")},
    {"Wells Fargo", W("wells fargo", "wellsfargo"), W("wellsfargo.", "wf.com")},
    {"Chase", W("chase bank", "jpmorgan chase", "chase online"),
     W("chase.", "jpmorgan.com", "jpmchase.com")},
    {"Bank of America", W("bank of america", "bankofamerica"), W("bankofamerica.", "bofa.com")},
    {"Citibank", W("citibank", "citi bank"), W("citi.", "citibank.", "citigroup.com")},
    {"American Express", W("american express", "amex"), W("americanexpress.", "aexp.com")},
    {"Coinbase", W("coinbase"), W("coinbase.")},
    {"Binance", W("binance"), W("binance.")},
    {"MetaMask", W("metamask"), W("metamask.")},
    {"Zoom", W("zoom video", "zoom meeting"), W("zoom.")},
    {"Steam", W("steam support", "steamcommunity", "steampowered"),
     W("steampowered.", "steamcommunity.")},
    {"Norton", W("norton antivirus", "norton 360", "lifelock"), W("norton.", "nortonlifelock.com")},
    {"McAfee", W("mcafee"), W("mcafee.")},
    {"Banco do Brasil", W("banco do brasil"), W("bb.com.br")},
    {"Bradesco", W("bradesco"), W("bradesco.com.br", "bradescoseguros.com.br")},
    {"Itaú", W("itau", "itaú"), W("itau.com.br", "itau.")},
    {"Caixa", W("caixa econ", "caixa tem", "caixa federal"), W("caixa.gov.br")},
    {"Santander", W("santander"), W("santander.")},
    {"Nubank", W("nubank"), W("nubank.com.br", "nu.com.br")},
    {"Correios", W("correios"), W("correios.com.br")},
    {"Receita Federal", W("receita federal"), W("gov.br", "receita.fazenda.gov.br")},
    {"Mercado Livre", W("mercado livre", "mercadolivre", "mercado pago", "mercadopago"),
     W("mercadolivre.com.br", "mercadopago.", "mercadolibre.")},
    {"Serasa", W("serasa"), W("serasa.com.br", "serasaexperian.com.br")},
    {"Detran", W("detran"), W("gov.br")},
    {"Magazine Luiza", W("magazine luiza", "magalu"), W("magazineluiza.com.br", "magalu.com")},
    {"Shopee", W("shopee"), W("shopee.")},
    {"AliExpress", W("aliexpress"), W("aliexpress.", "alibaba.com")},
    {"Walmart", W("walmart"), W("walmart.")},
    {"Costco", W("costco"), W("costco.")},
    {"eBay", W("ebay"), W("ebay.")},
    {"Spotify", W("spotify"), W("spotify.")},
    {"Disney+", W("disney+", "disney plus"), W("disney.", "disneyplus.com")},
    {"IRS", W("internal revenue service", "irs"), W("irs.gov")},
    {"HMRC", W("hmrc"), W("gov.uk")},
    {"WeTransfer", W("wetransfer"), W("wetransfer.com")},
    {"eBay", W("ebay"), W("ebay.", "ebaystatic.com")},
    {"SunTrust", W("suntrust"), W("suntrust.com", "truist.com")},
    {"Washington Mutual", W("washington mutual", "wamu"), W("wamu.com", "chase.")},
    {"Fifth Third", W("fifth third"), W("53.com")},
    {"U.S. Bank", W("us bank", "u.s. bank", "usbank"), W("usbank.com")},
    {"Barclays", W("barclays"), W("barclays.", "barclaycard.co.uk")},
    {"NatWest", W("natwest"), W("natwest.com", "rbs.co.uk")},
    {"Lloyds", W("lloyds bank", "lloyds tsb"),
     W("lloydsbank.com", "lloydstsb.com", "lloydsbank.co.uk")},
    {"HSBC", W("hsbc"), W("hsbc.")},
    {"Halifax", W("halifax bank", "halifax online"), W("halifax.co.uk")},
    {"Regions Bank", W("regions bank"), W("regions.com")},
    {"Charter One", W("charter one"), W("charterone.com")},
    {"Huntington", W("huntington bank", "huntington national"), W("huntington.com")},
    {"Wachovia", W("wachovia"), W("wachovia.com", "wellsfargo.com")},
    {"National City", W("national city bank"), W("nationalcity.com")},
    {"KeyBank", W("keybank"), W("key.com", "keybank.com")},
    {"PNC", W("pnc bank"), W("pnc.com")},
    {"Capital One", W("capital one", "capitalone"), W("capitalone.com")},
    {"Discover", W("discover card", "discover bank"), W("discover.com", "discovercard.com")},
    {"Visa", W("visa"), W("visa.")},
    {"Mastercard", W("mastercard"), W("mastercard.")},
    {"Western Union", W("western union"), W("westernunion.")},
    {"E*Trade", W("e*trade", "etrade"), W("etrade.com")},
    {"USAA", W("usaa"), W("usaa.com")},
    {"Allianz", W("allianz"), W("allianz.")},
    {"Deutsche Bank", W("deutsche bank"), W("db.com", "deutsche-bank.de")},
    {"Sparkasse", W("sparkasse"), W("sparkasse.de", "sparkasse.at")},
    {"Deutsche Bahn", W("deutsche bahn"), W("bahn.de", "deutschebahn.com")},
    {"Deutsche Post", W("deutsche post"), W("deutschepost.de", "dhl.")},
    {"ING", W("ing bank", "ing-diba"), W("ing.", "ing-diba.de")},
    {"Rabobank", W("rabobank"), W("rabobank.")},
    {"ABN AMRO", W("abn amro"), W("abnamro.")},
    {"PostNL", W("postnl"), W("postnl.")},
    {"La Poste", W("la poste", "colissimo"), W("laposte.fr", "laposte.net", "colissimo.fr")},
    {"Ledger", W("ledger wallet", "ledger live"), W("ledger.com")},
    {"Trust Wallet", W("trust wallet"), W("trustwallet.com")},
    {"Booking.com", W("booking.com"), W("booking.com")},
    {"Airbnb", W("airbnb"), W("airbnb.")},
    {"TikTok", W("tiktok"), W("tiktok.com")},
    {"Telegram", W("telegram"), W("telegram.org")},
    {"Zalando", W("zalando"), W("zalando.")},
    {"Decathlon", W("decathlon"), W("decathlon.")},
    /* people whose names sell investment and giveaway scams */
    {"Elon Musk", W("elon musk", "elon's"), W("tesla.com", "spacex.com", "x.com")},
    {"Jeff Bezos", W("jeff bezos"), W("amazon.", "blueorigin.com")},
    {"Bill Gates", W("bill gates"), W("gatesfoundation.org", "gatesnotes.com")},
    {"Mark Zuckerberg", W("mark zuckerberg"), W("facebook.", "meta.com")},
    {"Warren Buffett", W("warren buffett"), W("berkshirehathaway.com")},
    {"Webmail",
     W("webmail", "mail administrator", "mailbox administrator", "email administrator",
       "e-mail administrator", "helpdesk", "help desk", "it support", "it department",
       "it service desk", "mail delivery system", "mailer-daemon", "postmaster", "account team",
       "security team", "mail server"),
     W("")},
};

/* Is the UTF-8 character that ends just before text[i] a letter of some script (a word
 * goes on) or a symbol (a boundary)? Symbols and emoji live in U+2000-U+2BFF (lead byte 0xE2)
 * and above U+FFFF (lead 0xF0-0xF4): "✅McAfee" starts a word at 'M'. Other non-ASCII
 * characters are taken for letters ("Ré" + "mi"). */
static bool
letter_before(const char *text, size_t i)
{
    if (i == 0)
        return false;
    unsigned char c = (unsigned char)text[i - 1];
    if (c < 0x80)
        return isalnum(c) != 0;
    size_t k = i - 1;
    while (k > 0 && ((unsigned char)text[k] & 0xC0) == 0x80 && i - k < 4)
        k--;
    unsigned char lead = (unsigned char)text[k];
    return !(lead == 0xE2 || lead >= 0xF0);
}

static bool
letter_at(const char *text, size_t i)
{
    unsigned char c = (unsigned char)text[i];
    if (c < 0x80)
        return isalnum(c) != 0;
    return !(c == 0xE2 || c >= 0xF0);
}

/* Fold the look-alikes a brand name is dressed in ("BrasiI", "PayPa1", "Micr0soft") to one
 * form, lower case, ASCII only; other bytes are kept. */
static void
fold(const char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)in[i]);
        if (c == '1' || c == 'i' || c == '|')
            c = 'l';
        else if (c == '0')
            c = 'o';
        out[i] = c;
    }
    out[n] = '\0';
}

static bool
word_at(const char *text, const char *folded, size_t i, const char *w, const char *wf)
{
    size_t n = strlen(w);
    if (strncasecmp(text + i, w, n) != 0 && strncmp(folded + i, wf, n) != 0)
        return false;
    return !letter_before(text, i) && !letter_at(text, i + n);
}

const wp_brand *
wp_brand_in_text(const char *text)
{
    if (text == NULL)
        return NULL;
    size_t n = strlen(text);
    if (n > 512)
        n = 512; /* display names and subjects; nothing longer needs a brand check */
    char folded[513], wf[64];
    fold(text, n, folded);
    for (size_t i = 0; i < n; i++) {
        if (letter_before(text, i))
            continue;
        for (size_t b = 0; b < sizeof brands / sizeof brands[0]; b++)
            for (const char *const *w = brands[b].words; *w != NULL; w++) {
                size_t wl = strlen(*w);
                if (i + wl > n || wl >= sizeof wf || folded[i] != ((*w)[0] == 'i' ? 'l' : (*w)[0]))
                    continue;
                fold(*w, wl, wf);
                if (word_at(text, folded, i, *w, wf))
                    return &brands[b];
            }
    }
    return NULL;
}

bool
wp_brand_owns(const wp_brand *b, const char *regdom)
{
    if (b == NULL || regdom == NULL)
        return false;
    for (const char *const *d = b->domains; *d != NULL; d++) {
        size_t n = strlen(*d);
        if (n == 0)
            continue;
        if ((*d)[n - 1] == '.' ? strncmp(regdom, *d, n) == 0 : strcmp(regdom, *d) == 0)
            return true;
        /* gov.br-style owners: any registrable domain under it */
        size_t r = strlen(regdom);
        if (r > n && regdom[r - n - 1] == '.' && strcmp(regdom + r - n, *d) == 0)
            return true;
    }
    return false;
}

const wp_brand *
wp_brand_of_domain(const char *regdom)
{
    for (size_t b = 0; b < sizeof brands / sizeof brands[0]; b++)
        if (brands[b].domains[0][0] != '\0' && wp_brand_owns(&brands[b], regdom))
            return &brands[b];
    return NULL;
}

const wp_brand *
wp_brand_in_url(const char *url, const char *regdom)
{
    if (url == NULL || regdom == NULL)
        return NULL;
    /* host and path, not the query: "?ref=paypal.com" is tracking, not disguise */
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "?#");
    if (n > 512)
        n = 512;
    char buf[513];
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)p[i]);
    buf[n] = '\0';
    for (size_t b = 0; b < sizeof brands / sizeof brands[0]; b++) {
        for (const char *const *d = brands[b].domains; *d != NULL; d++) {
            size_t dl = strlen(*d);
            if (dl < 4)
                continue; /* personas own no domain; "ups." is too short to mean anything */
            /* only full owned names with a dot ("paypal.com", never the bare label): a bare
             * label in a path is too common ("/amazon-gift-ideas") to mean disguise; an owner
             * written "paypal." stands for paypal.com here */
            bool prefix = (*d)[dl - 1] == '.';
            for (const char *hit = strstr(buf, *d); hit != NULL; hit = strstr(hit + 1, *d)) {
                if (prefix && strncmp(hit + dl, "com", 3) != 0)
                    continue;
                if (!(hit == buf || hit[-1] == '.' || hit[-1] == '/' || hit[-1] == '-'))
                    continue;
                if (wp_brand_owns(&brands[b], regdom))
                    goto next_brand; /* the brand's own link */
                return &brands[b];
            }
        }
    next_brand:;
    }
    return NULL;
}
