import { mrnLabel } from '../lib/format';
import { ageText, sexText, visitText } from '../lib/patient';
import type { Patient } from '../lib/types';

// The banner of a patient thread: who, where, under whom, and the visit's state. It
// follows the ADT feed live (the store fetches it again on `patient_changed`).
export function PatientBanner({ patient }: { patient: Patient }) {
  const age = ageText(patient.date_of_birth, new Date());
  const visit = visitText(patient);
  const discharged = patient.status === 'discharged';
  return (
    <section class={discharged ? 'patient-banner discharged' : 'patient-banner'} aria-label="Patient">
      <strong>{patient.name}</strong>
      <span>{mrnLabel(patient.mrn)}</span>
      {patient.date_of_birth && (
        <span>
          DOB {patient.date_of_birth}
          {age && ` (${age})`}
        </span>
      )}
      {patient.sex && <span>{sexText(patient.sex)}</span>}
      {!discharged && patient.location && <span>{patient.location}</span>}
      {patient.attending && <span>Attending: {patient.attending}</span>}
      {visit && <span class="patient-visit">{visit}</span>}
    </section>
  );
}
