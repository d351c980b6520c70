/* SPDX-License-Identifier: MIT */
/*
 * contact_freemail.c - free-mail domains: webmail providers and the
 * consumer ISPs and telcos of some seventy countries.  An address there says
 * nothing about its owner's employer, so no company domain is taken from
 * it.  The table is sorted (strcmp order, checked by a unit test) and
 * searched with bsearch; a host under a listed domain is looked up by
 * dropping its leading labels one by one.
 */
#include "contact_freemail.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Sorted in strcmp order (a unit test checks): keep it so when adding one.
 * One line, or a few, per initial. */
/* clang-format off */
static const char *const domains[] = {
    "012.net.il", "013.net", "013net.net",
    "126.com", "12move.nl", "139.com", "163.com", "188.com", "189.cn", "1und1.de",
    "21cn.com", "263.net",
    "9online.fr",
    "a1.net", "aapt.net.au", "absamail.co.za", "abv.bg", "actcom.co.il", "actrix.co.nz",
    "adam.com.au", "adelphia.net", "adinet.com.uy", "africaonline.co.ci", "africaonline.co.ke",
    "africaonline.com.gh", "afrihost.co.za", "aim.com", "airtelbroadband.in", "airtelmail.in",
    "alaska.net", "alice-dsl.de", "alice-dsl.net", "alice.it", "aliceadsl.fr", "aliyun.com",
    "altibox.no", "ameritech.net", "amis.net", "andinanet.net", "anvianet.fi", "aol.com", "aon.at",
    "apollo.lv", "arcor.de", "arnet.com.ar", "asahi-net.or.jp", "atlanticbb.net", "atlas.cz",
    "atlas.sk", "att.net", "au.com", "auone.jp", "autograf.pl", "autorambler.ru", "aviso.ci",
    "awalnet.net.sa", "azet.sk",
    "bahnhof.se", "barak.net.il", "base.be", "batelco.com.bh", "bbox.fr", "belgacom.net",
    "bell.net", "bellsouth.net", "bezeqint.net", "bigfoot.com", "biglobe.ne.jp", "bigmir.net",
    "bigpond.com", "bigpond.com.au", "bigpond.net.au", "biznetvigator.com", "bk.ru", "blu.it",
    "bluewin.ch", "blueyonder.co.uk", "bluezone.no", "bol.com.br", "bredband.net", "bredband2.com",
    "bresnan.net", "bright.net", "brighthouse.com", "broadpark.no", "brturbo.com.br", "brutele.be",
    "bsnl.in", "btconnect.com", "btinternet.com", "btopenworld.com", "buziaczek.pl",
    "c2i.net", "cablecom.ch", "cableone.net", "caiway.nl", "callplus.net.nz", "cantv.net",
    "caramail.com", "casema.nl", "cbn.net.id", "cegetel.net", "centrin.net.id", "centrum.cz",
    "centrum.sk", "centurylink.net", "centurytel.net", "chariot.net.au", "charter.net", "chello.at",
    "chello.be", "chello.cz", "chello.hu", "chello.nl", "chello.no", "chello.se", "chol.com",
    "citromail.hu", "ciudad.com.ar", "clear.net.nz", "click21.com.br", "clicknet.ro", "clix.pt",
    "club-internet.fr", "codetel.net.do", "cogeco.ca", "colombia.com", "comcast.net", "comhem.se",
    "compuserve.com", "comxnet.dk", "consolidated.net", "consultant.com", "coqui.net", "cox.net",
    "cs.com", "csloxinfo.com", "ctcinternet.cl", "ctimail.com", "cwjamaica.com", "cwpanama.net",
    "cyber.net.pk", "cybersmart.co.za", "cytanet.com.cy",
    "datacomm.ch", "dataone.in", "daum.net", "delfi.lt", "dion.ne.jp", "dir.bg", "dnainternet.net",
    "docomo.ne.jp", "dodo.com.au", "dreamwiz.com", "drei.at",
    "e-kolay.net", "earthlink.net", "eastlink.ca", "ebnett.no", "eclipse.co.uk", "eim.ae",
    "eircom.net", "elion.ee", "elisanet.fi", "email.com", "email.cz", "email.de", "email.dk",
    "email.it", "email.ro", "email.si", "email.ua", "embarqmail.com", "emcali.net.co",
    "emirates.net.ae", "empal.com", "engineer.com", "enivest.net", "entelchile.net", "entelnet.bo",
    "eonet.ne.jp", "epix.net", "epm.net.co", "eresmas.com", "erols.com", "esatclear.ie",
    "etb.net.co", "eth.net", "eunet.at", "eunet.rs", "euromail.se", "europe.com", "euskaltel.net",
    "ewetel.net", "excite.co.jp", "excite.com", "execulink.com", "exetel.com.au", "eyou.com",
    "ezweb.ne.jp",
    "fairpoint.net", "farmside.co.nz", "fastmail.com", "fastmail.fm", "fastwebnet.it",
    "fibermail.dk", "fibertel.com.ar", "flash.net", "forthnet.gr", "foxmail.com", "fpt.vn",
    "free.fr", "freechal.com", "freeler.nl", "freemail.gr", "freemail.hu", "freenet.de",
    "freeserve.co.uk", "frisurf.no", "frontier.com", "frontiernet.net", "fsmail.net",
    "gazeta.pl", "gbg.bg", "gci.net", "get2net.dk", "getmail.no", "global.co.za", "globalnet.hr",
    "globelines.com.ph", "globo.com", "globomail.com", "glocalnet.net", "gmail.com", "gmx.at",
    "gmx.ch", "gmx.com", "gmx.de", "gmx.fr", "gmx.net", "gmx.us", "gnet.tn", "go.ro", "go2.pl",
    "goo.jp", "googlemail.com", "grandecom.net", "green.ch", "greenmail.ch",
    "hanafos.com", "hanmail.net", "hanse.net", "haugnett.no", "hawaiiantel.net", "hccnet.nl",
    "hetnet.nl", "hey.com", "hi-ho.ne.jp", "hinet.net", "hispeed.ch", "hive.is", "hknet.com",
    "hkstar.com", "hol.gr", "home.ne.jp", "home.nl", "home.ro", "home.se", "hot.ee", "hotmail.ca",
    "hotmail.co.uk", "hotmail.com", "hotmail.de", "hotmail.es", "hotmail.fr", "hotmail.it",
    "htnet.hr", "htp-tel.de", "hushmail.com",
    "i-cable.com", "i.softbank.jp", "i.ua", "iafrica.com", "icloud.com", "icon.co.za", "idm.net.lb",
    "ig.com.br", "ihug.co.nz", "iinet.net.au", "in.com", "in.gr", "inbox.com", "inbox.lt",
    "inbox.lv", "inbox.ru", "index.hu", "indiatimes.com", "indigo.ie", "indo.net.id",
    "indosat.net.id", "inet.fi", "infinito.it", "infinitummail.com", "infonegocio.net.pe",
    "infoseek.jp", "infovia.com.ar", "inmail.sk", "inode.at", "insightbb.com", "inspire.net.nz",
    "int.pl", "intelnet.net.gt", "inter.net.il", "interfree.it", "interia.eu", "interia.pl",
    "internet.is", "internet.ru", "internode.on.net", "intnet.mu", "invitel.hu", "inwind.it",
    "iol.cz", "iol.ie", "iol.it", "iol.pt", "iolfree.ie", "iprimus.com.au", "ish.de",
    "itelefonica.com.br",
    "jazztel.es", "jubii.dk", "jumpy.it", "juno.com",
    "k.ro", "kabelbw.de", "kabelmail.de", "kabsi.at", "karoo.co.uk", "katamail.com", "keemail.me",
    "knology.net", "kolumbus.fi", "korea.com", "kornet.net", "kpnmail.nl", "kpnplanet.nl",
    "ksc.co.th",
    "lantic.net", "laposte.net", "latinmail.com", "lenta.ru", "libero.it", "libertysurf.fr",
    "lineone.net", "link.net", "list.ru", "live.co.uk", "live.com", "live.fr", "liwest.at",
    "loxinfo.co.th", "luukku.com", "lycos.co.kr", "lycos.com", "lycos.de", "lyse.net",
    "mac.com", "madasafish.com", "mail.bg", "mail.com", "mail.dk", "mail.ee", "mail.goo.ne.jp",
    "mail.kz", "mail.pt", "mail.ru", "mailbox.hu", "mailbox.org", "mailfence.com", "maltanet.net",
    "manquehue.net", "maxnet.co.nz", "mbnet.fi", "mchsi.com", "me.com", "mediacombb.net",
    "megared.net.mx", "menara.ma", "meo.pt", "meta.ua", "metrocast.net", "midco.net",
    "mindspring.com", "mnet-online.de", "modulonet.fr", "montevideo.com.uy", "mopera.net",
    "mos.com.np", "movistar.es", "msn.com", "mts.net", "mundo-r.com", "mweb.co.za", "mycosmos.gr",
    "mydestiny.net", "mynet.com", "myrambler.ru", "myself.com", "myway.com",
    "nate.com", "naver.com", "nbnet.nb.ca", "neostrada.pl", "netactive.co.za", "netcabo.pt",
    "netcologne.de", "netcom.com", "netcourrier.com", "netfront.net", "neti.ee", "netscape.com",
    "netscape.net", "netsite.com.br", "netspace.net.au", "netti.fi", "netvigator.com",
    "netvisao.pt", "netvision.net.il", "netzero.com", "netzero.net", "neuf.fr", "nexgo.de",
    "nextgentel.com", "nifty.com", "nifty.ne.jp", "noos.fr", "nordnet.fr", "ntlworld.com",
    "ntlworld.ie", "numericable.fr",
    "o2.co.uk", "o2.pl", "o2online.de", "oceanfree.net", "ocn.ne.jp", "odn.ne.jp", "ofir.dk",
    "oi.com.br", "omantel.net.om", "one.lt", "one.lv", "onet.eu", "onet.pl", "onetel.com",
    "onetel.net", "oninet.pt", "online.be", "online.de", "online.nl", "online.no", "online.ua",
    "ono.com", "onvol.net", "op.pl", "open.telekom.rs", "optimum.net", "optonline.net",
    "optusnet.com.au", "orange.es", "orange.fr", "orange.net", "orange.nl", "orangehome.co.uk",
    "orangemail.sk", "orcon.net.nz", "osnanet.de", "otenet.gr", "outlook.com", "outlook.de",
    "outlook.fr", "ownit.nu", "ozemail.com.au",
    "pacbell.net", "pacific.net.hk", "pacific.net.sg", "pandora.be", "paradise.net.nz", "paran.com",
    "passagen.se", "passport.com", "pathfinder.gr", "pchome.com.tw", "pdx.ne.jp", "peoplepc.com",
    "personal.ro", "picknowl.com.au", "plala.or.jp", "planet.nl", "plasa.com", "pldtdsl.net",
    "plus.net", "pm.me", "pobox.sk", "pochta.ru", "poczta.fm", "polka.co.za", "pop.com.br",
    "portugalmail.pt", "post.com", "post.cz", "post.sk", "posteo.de", "posteo.net", "primus.ca",
    "privat.dk", "prodigy.net", "prodigy.net.mx", "proton.me", "protonmail.ch", "protonmail.com",
    "proximus.be", "prtc.net", "pt.lu", "ptd.net", "ptt.rs",
    "q.com", "qatar.net.qa", "qip.ru", "qq.com", "qualitynet.net", "quick.cz", "quicknet.nl",
    "quicksilver.net.nz", "qwest.net",
    "r7.com", "racsa.co.cr", "rad.net.id", "rambler.ru", "rcn.com", "rdslink.ro", "rdsmail.ro",
    "rediffmail.com", "ro.ru", "roadrunner.com", "rocketmail.com", "rogers.com", "rr.com",
    "runbox.com",
    "sancharnet.in", "sapo.pt", "sasktel.net", "satyam.net.in", "saunalahti.fi", "sbb.rs",
    "sbcglobal.net", "sbg.at", "scarlet.be", "seed.net.tw", "senet.com.au", "seznam.cz", "sfr.fr",
    "shaw.ca", "shentel.net", "sify.com", "simnet.is", "sina.cn", "sina.com", "sina.com.cn",
    "sinectis.com.ar", "singnet.com.sg", "siol.net", "sky.com", "skyinet.net", "skynet.be",
    "slingshot.co.nz", "sltnet.lk", "smile.net.il", "snap.net.nz", "snet.net", "so-net.ne.jp",
    "so-net.net.tw", "softbank.ne.jp", "sohu.com", "sol.dk", "solcon.nl", "sonic.net",
    "spectrum.net", "speedy.com.ar", "speedy.com.pe", "splius.lt", "spoko.pl", "spray.se",
    "sprintmail.com", "sprynet.com", "starhub.net.sg", "starman.ee", "starpower.net", "start.no",
    "startmail.com", "stofanet.dk", "stonline.sk", "streamyx.com", "suddenlink.net", "sunrise.ch",
    "suomi24.fi", "supanet.com", "supereva.it", "superig.com.br", "superonline.com", "swbell.net",
    "swing.be", "swipnet.se", "swissonline.ch", "sympatico.ca",
    "t-2.net", "t-com.hr", "t-email.hu", "t-online.de", "t-online.hu", "takas.lt", "talktalk.net",
    "talnet.is", "tango.lu", "tbaytel.net", "tdcadsl.dk", "tds.net", "tedata.net.eg",
    "teksavvy.com", "tele.dk", "tele2.at", "tele2.ch", "tele2.fr", "tele2.nl", "tele2.se",
    "telecable.es", "telecentro.com.ar", "telefonica.net", "teleline.es", "telemach.net",
    "telenet.be", "telepac.pt", "telering.at", "teletu.it", "telfort.nl", "telia.com", "telkom.net",
    "telkomsa.net", "telus.net", "terra.cl", "terra.com.br", "terra.com.mx", "terra.com.pe",
    "terra.es", "tesco.net", "three.com.au", "tie.cl", "tiki.ne.jp", "tim.it", "time.net.my",
    "tin.it", "tiscali.be", "tiscali.co.uk", "tiscali.cz", "tiscali.de", "tiscali.it", "tiscali.nl",
    "tiscalinet.it", "tlen.pl", "tm.net.my", "tom.com", "topnet.tn", "tpg.com.au", "truemail.co.th",
    "tstt.net.tt", "ttmail.com", "ttnet.net.tr", "turk.net", "tut.by", "tuta.io", "tutamail.com",
    "tutanota.com", "tutanota.de", "twc.com",
    "ukonline.co.uk", "ukr.net", "une.net.co", "unitybox.de", "uol.com.br", "uolsinectis.com.ar",
    "upcmail.hu", "upcmail.ie", "upcmail.nl", "url.com.tw", "usa.com", "usa.net", "utanet.at",
    "veloxmail.com.br", "ventelo.no", "verizon.net", "versanet.de", "versatel.nl", "videotron.ca",
    "vipmail.hu", "virgilio.it", "virgin.net", "virginbroadband.com.au", "virginmedia.com",
    "visir.is", "vnn.vn", "vo.lu", "vodafone.co.nz", "vodafone.ie", "vodafone.ne.jp",
    "vodafonemail.de", "vodamail.co.za", "voila.fr", "vol.at", "volja.net", "volny.cz", "voo.be",
    "vp.pl", "vsnl.com", "vsnl.net", "vtr.net", "vtxmail.ch",
    "wakwak.com", "walla.co.il", "walla.com", "wanadoo.co.uk", "wanadoo.es", "wanadoo.fr",
    "wanadoo.nl", "wave.co.nz", "web.de", "webmail.co.za", "webspeed.dk", "welho.com",
    "westnet.com.au", "willcom.com", "windstream.net", "wlink.com.np", "wo.cn", "wo.com.cn",
    "wol.co.za", "woosh.co.nz", "wowway.com", "wp.pl",
    "xnet.co.nz", "xnet.ro", "xplornet.ca", "xplornet.com", "xs4all.nl", "xsinet.co.za",
    "xtra.co.nz",
    "y7mail.com", "ya.com", "ya.ru", "yahoo.ca", "yahoo.co.in", "yahoo.co.jp", "yahoo.co.uk",
    "yahoo.com", "yahoo.com.au", "yahoo.com.br", "yahoo.com.mx", "yahoo.de", "yahoo.es", "yahoo.fr",
    "yahoo.it", "yandex.by", "yandex.com", "yandex.com.tr", "yandex.kz", "yandex.ru", "yandex.ua",
    "ybb.ne.jp", "yeah.net", "ymail.com", "youmail.dk", "yousee.dk",
    "zahav.net.il", "zaq.ne.jp", "zebra.lt", "zeelandnet.nl", "ziggo.nl", "zipmail.com.br",
    "zoho.com", "zohomail.com", "zonmail.pt", "zonnet.nl", "zoominternet.net", "zoznam.sk",
};
/* clang-format on */
/* clang-format on */
enum { NDOMAINS = sizeof(domains) / sizeof(domains[0]) };

/* Webmail brands that register their name under many country suffixes
 * (yahoo.com.hk, hotmail.be, live.nl, outlook.com.ar, gmx.es). */
static const char *const brands[] = {
    "aol", "gmail",   "gmx",        "googlemail",  "hotmail", "icloud", "live",
    "msn", "outlook", "rocketmail", "windowslive", "yahoo",   "yandex", "ymail",
};

size_t contact_freemail_count(void)
{
    return NDOMAINS;
}

const char *contact_freemail_at(size_t i)
{
    return i < NDOMAINS ? domains[i] : NULL;
}

static int cmp(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

/* country_suffix says whether s is a country's suffix for registrations:
 * "de", "com", "net", or "com.hk", "co.uk", "ne.jp"... */
static bool country_suffix(const char *s)
{
    static const char *const seconds[] = {"com.", "co.", "net.", "ne.", "or."};
    size_t len = strlen(s);

    if (strcmp(s, "com") == 0 || strcmp(s, "net") == 0)
        return true;
    for (size_t i = 0; i < sizeof seconds / sizeof seconds[0]; i++) {
        size_t n = strlen(seconds[i]);
        if (strncmp(s, seconds[i], n) == 0) {
            s += n;
            len -= n;
            break;
        }
    }
    return len == 2 && isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]);
}

/* brand_domain says whether d is a webmail brand under a country suffix. */
static bool brand_domain(const char *d)
{
    const char *dot = strchr(d, '.');
    size_t n;

    if (dot == NULL || !country_suffix(dot + 1))
        return false;
    n = (size_t)(dot - d);
    for (size_t i = 0; i < sizeof brands / sizeof brands[0]; i++)
        if (strlen(brands[i]) == n && strncmp(brands[i], d, n) == 0)
            return true;
    return false;
}

bool contact_freemail_is(const char *domain)
{
    if (domain == NULL)
        return false;
    /* "ms12.hinet.net", then "hinet.net"; never a bare suffix ("net"). */
    for (const char *d = domain; d != NULL && strchr(d, '.') != NULL;
         d = strchr(d, '.') != NULL ? strchr(d, '.') + 1 : NULL) {
        if (bsearch(d, domains, NDOMAINS, sizeof domains[0], cmp) != NULL || brand_domain(d))
            return true;
    }
    return false;
}
