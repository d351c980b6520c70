/* SPDX-License-Identifier: MIT */
/* timestamp.c parses PostgreSQL's and RFC 3339's timestamps and writes the API's UTC form. */
#include "timestamp.h"

#include <stdio.h>

/* Moment is a parsed timestamp: the local fields and their offset. */
typedef struct Moment {
    int year, month, day;
    int hour, minute, second;
    long usec;          /* microseconds, 0-999999 */
    bool round_up;      /* a seventh fraction digit of 5 or more: PostgreSQL rounds up */
    long offset_second; /* local time minus UTC, seconds */
} Moment;

enum { SECONDS_PER_DAY = 86400 };

/* digits reads exactly n decimal digits at *p into *out and advances *p. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* expect advances *p past c if it is the next character. */
static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static bool is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* parse_date_time reads "YYYY-MM-DD", one separator accepted by
 * separator_ok, and "HH:MM:SS" with ranges checked (seconds 0-59). */
static bool parse_date_time(const char **p, Moment *m, bool (*separator_ok)(char))
{
    if (!digits(p, 4, &m->year) || !expect(p, '-') || !digits(p, 2, &m->month) || !expect(p, '-') ||
        !digits(p, 2, &m->day))
        return false;
    if (!separator_ok(**p))
        return false;
    (*p)++;
    if (!digits(p, 2, &m->hour) || !expect(p, ':') || !digits(p, 2, &m->minute) ||
        !expect(p, ':') || !digits(p, 2, &m->second))
        return false;
    return m->year >= 1 && m->month >= 1 && m->month <= 12 && m->day >= 1 &&
           m->day <= days_in_month(m->year, m->month) && m->hour <= 23 && m->minute <= 59 &&
           m->second <= 59;
}

/* parse_fraction reads an optional '.' and 1 to max_digits digits into
 * m->usec (digits past the sixth are dropped). */
static bool parse_fraction(const char **p, Moment *m, int max_digits)
{
    int n = 0;
    long scale = 100000;

    m->usec = 0;
    m->round_up = false;
    if (**p != '.')
        return true;
    (*p)++;
    while (**p >= '0' && **p <= '9') {
        if (++n > max_digits)
            return false;
        if (n == 7)
            m->round_up = **p >= '5';
        m->usec += (**p - '0') * scale;
        scale /= 10;
        (*p)++;
    }
    return n > 0;
}

static bool pg_separator(char c)
{
    return c == ' ' || c == 'T';
}

static bool rfc3339_separator(char c)
{
    return c == 'T' || c == 't';
}

/* parse_pg_offset reads PostgreSQL's offset, +HH[:MM[:SS]] or -, which
 * must end the text, into m->offset_second. */
static bool parse_pg_offset(const char *p, Moment *m)
{
    int sign, hh, mm = 0, ss = 0;

    if (*p != '+' && *p != '-')
        return false;
    sign = *p++ == '-' ? -1 : 1;
    if (!digits(&p, 2, &hh))
        return false;
    if (*p == ':') {
        p++;
        if (!digits(&p, 2, &mm))
            return false;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &ss))
                return false;
        }
    }
    if (*p != '\0' || hh > 23 || mm > 59 || ss > 59)
        return false;
    m->offset_second = sign * (hh * 3600L + mm * 60L + ss);
    return true;
}

/* parse_pg reads PostgreSQL's form; see timestamp.h. */
static bool parse_pg(const char *s, Moment *m)
{
    const char *p = s;

    return s != NULL && parse_date_time(&p, m, pg_separator) && parse_fraction(&p, m, 6) &&
           parse_pg_offset(p, m);
}

/* parse_rfc3339 reads RFC 3339's form; see timestamp.h. */
static bool parse_rfc3339(const char *s, Moment *m)
{
    const char *p = s;
    int sign, hh, mm;

    if (s == NULL || !parse_date_time(&p, m, rfc3339_separator) || !parse_fraction(&p, m, 9))
        return false;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        m->offset_second = 0;
        return true;
    }
    if (*p != '+' && *p != '-')
        return false;
    sign = *p++ == '-' ? -1 : 1;
    if (!digits(&p, 2, &hh) || !expect(&p, ':') || !digits(&p, 2, &mm) || *p != '\0' || hh > 23 ||
        mm > 59)
        return false;
    m->offset_second = sign * (hh * 3600L + mm * 60L);
    return true;
}

/* days_from_civil counts the days from 1970-01-01 to y-m-d in the
 * proleptic Gregorian calendar (the usual era-of-400-years method). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* civil_from_days is the inverse of days_from_civil. */
static void civil_from_days(long long z, long long *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

bool timestamp_rfc3339(const char *pg, char *out, size_t size)
{
    Moment m;
    long long seconds, days, year;
    int month, day;
    long second_of_day;

    if (out == NULL || size < TIMESTAMP_RFC3339_SIZE || !parse_pg(pg, &m))
        return false;
    seconds = days_from_civil(m.year, m.month, m.day) * SECONDS_PER_DAY + m.hour * 3600L +
              m.minute * 60L + m.second - m.offset_second;
    days = seconds / SECONDS_PER_DAY;
    second_of_day = (long)(seconds % SECONDS_PER_DAY);
    if (second_of_day < 0) {
        second_of_day += SECONDS_PER_DAY;
        days--;
    }
    civil_from_days(days, &year, &month, &day);
    if (year < 1 || year > 9999)
        return false;
    snprintf(out, size, "%04d-%02d-%02dT%02ld:%02ld:%02ld.%03ldZ", (int)year, month, day,
             second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60, m.usec / 1000);
    return true;
}

bool timestamp_unix(const char *pg, long long *seconds)
{
    Moment m;

    if (seconds == NULL || !parse_pg(pg, &m))
        return false;
    *seconds = days_from_civil(m.year, m.month, m.day) * SECONDS_PER_DAY + m.hour * 3600L +
               m.minute * 60L + m.second - m.offset_second;
    return true;
}

bool timestamp_valid_pg(const char *s)
{
    char out[TIMESTAMP_RFC3339_SIZE];
    return timestamp_rfc3339(s, out, sizeof out);
}

bool timestamp_valid_rfc3339(const char *s)
{
    Moment m;
    long long seconds;

    if (!parse_rfc3339(s, &m))
        return false;
    /* In UTC, as PostgreSQL stores it (to the microsecond, rounded), the
     * time must fall within years 0001 to 9999, which timestamp_rfc3339
     * writes back: 9999-12-31T23:59:59-01:00 is in year 10000. */
    seconds = days_from_civil(m.year, m.month, m.day) * SECONDS_PER_DAY + m.hour * 3600L +
              m.minute * 60L + m.second - m.offset_second;
    if (m.round_up && m.usec == 999999)
        seconds++;
    return seconds >= days_from_civil(1, 1, 1) * SECONDS_PER_DAY &&
           seconds < days_from_civil(10000, 1, 1) * SECONDS_PER_DAY;
}
