// What a patient banner says (docs/patients.md): age from the date of birth, the sex in
// words, and the visit's state, all from the fields the server sends.
import type { Patient } from './types';

// Age at `now` from YYYY-MM-DD (or YYYY-MM, YYYY when the feed sent no more): "78 y",
// "14 mo" under two years, "9 d" under a month; "" for no or a future date.
export function ageText(dateOfBirth: string, now: Date): string {
  const match = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(dateOfBirth);
  if (!match) return '';
  const year = Number(match[1]);
  const month = match[2] ? Number(match[2]) : 1;
  const day = match[3] ? Number(match[3]) : 1;
  const born = Date.UTC(year, month - 1, day);
  if (Number.isNaN(born) || born > now.getTime()) return '';
  let months = (now.getUTCFullYear() - year) * 12 + (now.getUTCMonth() + 1 - month);
  if (now.getUTCDate() < day) months -= 1;
  if (months >= 24) return `${Math.floor(months / 12)} y`;
  if (months >= 1) return `${months} mo`;
  return `${Math.floor((now.getTime() - born) / 86_400_000)} d`;
}

const kSexes: Record<string, string> = {
  F: 'Female', M: 'Male', O: 'Other', U: 'Unknown sex', A: 'Ambiguous', N: 'Not applicable', X: 'Non-binary',
};

export function sexText(code: string): string {
  return kSexes[code] ?? code;
}

// The date part of an RFC 3339 time in the viewer's zone, "" for "".
export function dayOf(at: string): string {
  if (!at) return '';
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

// The visit line: "Admitted 2026-12-07", "Discharged 2026-12-08", ...; "" without a visit.
export function visitText(patient: Patient): string {
  switch (patient.status) {
    case 'admitted':
      return patient.admitted_at ? `Admitted ${dayOf(patient.admitted_at)}` : 'Admitted';
    case 'discharged':
      return patient.discharged_at ? `Discharged ${dayOf(patient.discharged_at)}` : 'Discharged';
    case 'preadmitted':
      return 'Pre-admitted';
    case 'registered':
      return 'Outpatient visit';
    default:
      return '';
  }
}
