"""The supervisor console: the desk's escalated contacts, each contact's evidence and
timeline, and the decision buttons, for signed-in supervisors (``desk console``)."""
