"""The regions and currencies CLDR knows, and the languages whose CLDR data names every region, as
data: loading a repository checks a marketplace's `country` and `currency` without importing Babel
(engine.i18n.cldr does). tests/test_repository_shape.py checks the lists against the Babel installed."""

from __future__ import annotations

import re

# The regions CLDR names (Babel's territory_languages, less ZZ "Unknown Region"): the ISO 3166-1
# alpha-2 codes, and a few CLDR adds (XK Kosovo; AC, CP, DG, EA, IC, TA). tests/test_repository_shape.py
# checks this against the Babel installed.
REGIONS = frozenset(
    """AC AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV
    BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CP CQ CR CU CV CW CX CY CZ DE DG DJ DK DM DO DZ EA EC EE EG EH
    ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU IC ID
    IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA
    MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA
    PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST
    SV SX SY SZ TA TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS
    XK YE YT ZA ZM ZW""".split()
)
# Languages whose CLDR data names every region in REGIONS, in every locale of theirs: `de` covers
# `de`, `de-AT`, `de-CH`; a script is a language of its own (`zh-Hans` covers `zh-Hans-HK`; `en` does
# not cover `en-Dsrt`). A page in one of them can name any marketplace's country; other tags are asked
# of Babel. tests/test_repository_shape.py checks every entry against the Babel installed.
NAMING_LANGUAGES = frozenset(
    """af ak am ar as az ba be bew bg blo bn br bs ca ceb chr ckb cop cs cv cy da de dsb el en eo es et eu fa
    fi fil fo fr frr ga gd gl gu ha he hi hr hsb hu hy ia id ie ig is it ja jv ka kaa kab kk km kn ko kok ku ky
    lij lld lo lt lv mi mk ml mn mr ms my nb ne nl nn no or pa pcm pl ps pt qu rif rm ro ru sc scn sd shn si sk
    sl so sq sr sv sw syr ta te tg th ti tk to tr trw tt uk ur uz vec vi wo xh yo yue zh zu
    az-Latn bal-Latn bs-Latn hi-Latn kaa-Cyrl kk-Arab kk-Cyrl kok-Deva kok-Latn ku-Latn pa-Guru sd-Arab
    sr-Cyrl sr-Latn uz-Latn yue-Hans yue-Hant zh-Hans zh-Hant""".split()
)


def names_regions(tag: str) -> bool:
    """Whether ``tag`` (`de`, `de-AT`, `es-419`, `zh-Hans`, `zh-Hant-HK`) certainly has a CLDR name for
    every region, without asking Babel."""
    found = _TAG.match(tag)
    return found is not None and found.group(1) in NAMING_LANGUAGES


# language[-Script][-REGION]: group 1 is the language with its script, if any.
_TAG = re.compile(r"([a-z]{2,3}(?:-[A-Z][a-z]{3})?)(?:-(?:[A-Z]{2}|[0-9]{3}))?\Z")


# The currency codes CLDR knows (Babel's list_currencies(): ISO 4217, current and past). A code not
# here is asked of Babel (`known_currency`), so a currency a later CLDR adds is not refused.
CURRENCIES = frozenset(
    """ADP AED AFA AFN ALK ALL AMD ANG AOA AOK AON AOR ARA ARL ARM ARP ARS ATS AUD AWG AZM AZN BAD BAM BAN
    BBD BDT BEC BEF BEL BGL BGM BGN BGO BHD BIF BMD BND BOB BOL BOP BOV BRB BRC BRE BRL BRN BRR BRZ BSD
    BTN BUK BWP BYB BYN BYR BZD CAD CDF CHE CHF CHW CLE CLF CLP CNH CNY COP COU CRC CSD CSK CUC CUP CVE
    CYP CZK DDM DEM DJF DKK DOP DZD ECS ECV EEK EGP ERN ESA ESB ESP ETB EUR FIM FJD FKP FRF GBP GEK GEL
    GHC GHS GIP GMD GNF GNS GQE GRD GTQ GWE GWP GYD HKD HNL HRD HRK HTG HUF IDR IEP ILP ILR ILS INR IQD
    IRR ISJ ISK ITL JMD JOD JPY KES KGS KHR KMF KPW KRH KRO KRW KWD KYD KZT LAK LBP LKR LRD LSL LTL LTT
    LUC LUF LUL LVL LVR LYD MAD MAF MCF MDC MDL MGA MGF MKD MKN MLF MMK MNT MOP MRO MRU MTL MTP MUR MVP
    MVR MWK MXN MXP MXV MYR MZE MZM MZN NAD NGN NIC NIO NLG NOK NPR NZD OMR PAB PEI PEN PES PGK PHP PKR
    PLN PLZ PTE PYG QAR RHD ROL RON RSD RUB RUR RWF SAR SBD SCR SDD SDG SDP SEK SGD SHP SIT SKK SLE SLL
    SOS SRD SRG SSP STD STN SUR SVC SYP SZL THB TJR TJS TMM TMT TND TOP TPE TRL TRY TTD TWD TZS UAH UAK
    UGS UGX USD USN USS UYI UYP UYU UYW UZS VEB VED VEF VES VND VNN VUV WST XAD XAF XAG XAU XBA XBB XBC
    XBD XCD XCG XDR XEU XFO XFU XOF XPD XPF XPT XRE XSU XTS XUA XXX YDD YER YUD YUM YUN YUR ZAL ZAR ZMK
    ZMW ZRN ZRZ ZWD ZWG ZWL ZWR""".split()
)


def known_currency(code: str) -> bool:
    """Whether CLDR knows the currency ``code`` (without Babel for every code in CURRENCIES)."""
    if code in CURRENCIES:
        return True
    from babel.numbers import list_currencies

    return code in list_currencies()
