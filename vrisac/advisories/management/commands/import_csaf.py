from ._import import ImportCommand


class Command(ImportCommand):
    kind = "csaf"
    what = "CSAF 2.0 advisories (documents, directories, provider-metadata.json, ROLIE feeds)"
    many = True
