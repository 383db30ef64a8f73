#!/usr/bin/env python3
"""Builds npidata_pfile_sample_reconstructed.csv (see SOURCES.md).

The first 120 records of the nppes2fhir sample (real NPPES records of a 2019 file, as
FHIR YAML) are written back as rows of the NPPES data file, under the reconstructed
330-column header, and labelled bad rows are appended for the importer's tests.

    make_sample.py HEADER_CSV SAMPLE_YAML > npidata_pfile_sample_reconstructed.csv
"""
import csv
import io
import sys

import yaml


def main():
    header_path, yaml_path = sys.argv[1], sys.argv[2]
    with open(header_path, newline="") as f:
        header = next(csv.reader(f))
    index = {name: i for i, name in enumerate(header)}
    records = [d for d in yaml.safe_load_all(open(yaml_path)) if d][:120]
    out = io.StringIO()

    def write(values):
        # NPPES quotes every value and ends rows with CRLF.
        out.write(",".join('"%s"' % v.replace('"', "'") for v in values) + "\r\n")

    def row():
        return [""] * len(header)

    write(header)
    for record in records:
        values = row()
        values[index["NPI"]] = record["id"]
        address = (record.get("address") or [{}])[0]
        values[index["Provider Business Practice Location Address City Name"]] = address.get("city", "")
        values[index["Provider Business Practice Location Address State Name"]] = address.get("state", "")
        values[index["Provider Business Practice Location Address Postal Code"]] = address.get("postalCode", "")
        phones = [t["value"] for t in record.get("telecom", []) if t.get("system") == "phone" and t.get("use") == "work"]
        values[index["Provider Business Practice Location Address Telephone Number"]] = phones[0] if phones else ""
        values[index["Provider Enumeration Date"]] = "05/23/2005"
        values[index["Last Update Date"]] = "07/08/2007"
        if "name" not in record and "address" not in record:
            # Only the number: a deactivated NPI, as NPPES lists one (the date is made up).
            values[index["Provider Enumeration Date"]] = ""
            values[index["Last Update Date"]] = ""
            values[index["NPI Deactivation Date"]] = "05/01/2019"
            write(values)
            continue
        if record["resourceType"] == "Organization":
            values[index["Entity Type Code"]] = "2"
            values[index["Provider Organization Name (Legal Business Name)"]] = record.get("name", "")
            codes = []
            for kind in record.get("type", []):
                coding = kind.get("coding")
                coding = coding[0] if isinstance(coding, list) and coding else coding
                if isinstance(coding, dict) and coding.get("code"):
                    codes.append(coding["code"])
        else:
            values[index["Entity Type Code"]] = "1"
            name = record["name"][0]
            given = name.get("given", [])
            values[index["Provider Last Name (Legal Name)"]] = name.get("family", "")
            values[index["Provider First Name"]] = given[0] if given else ""
            values[index["Provider Middle Name"]] = " ".join(given[1:])
            prefix = name.get("prefix", [])
            values[index["Provider Credential Text"]] = prefix[-1] if prefix else ""
            values[index["Provider Sex Code"]] = {"male": "M", "female": "F"}.get(record.get("gender"), "")
            codes = [c["coding"][0]["code"] for q in record.get("qualification", [])
                     for c in [q.get("code", {})] if c.get("coding")]
        for n, code in enumerate(codes[:15], start=1):
            values[index["Healthcare Provider Taxonomy Code_%d" % n]] = code
            values[index["Healthcare Provider Primary Taxonomy Switch_%d" % n]] = "Y" if n == 1 else "N"
        write(values)

    # Bad rows (made up), one per rejection kind, then a deactivation of a record above.
    bad = row()
    bad[index["NPI"]] = "1234567890"  # Fails its check digit.
    bad[index["Entity Type Code"]] = "1"
    bad[index["Provider Last Name (Legal Name)"]] = "BADCHECK"
    write(bad)
    out.write('"1245319599","1","SHORT"\r\n')  # Too few columns.
    nameless = row()
    nameless[index["NPI"]] = "1245319599"
    nameless[index["Entity Type Code"]] = "1"  # An individual without a last name.
    write(nameless)
    entity = row()
    entity[index["NPI"]] = "1245319599"
    entity[index["Entity Type Code"]] = "3"
    entity[index["Provider Organization Name (Legal Business Name)"]] = "NO SUCH ENTITY"
    write(entity)
    letters = row()
    letters[index["NPI"]] = "12345X7893"
    letters[index["Entity Type Code"]] = "1"
    write(letters)
    deactivated = row()
    deactivated[index["NPI"]] = records[1]["id"]
    deactivated[index["NPI Deactivation Date"]] = "05/01/2019"
    write(deactivated)
    sys.stdout.write(out.getvalue())


if __name__ == "__main__":
    main()
