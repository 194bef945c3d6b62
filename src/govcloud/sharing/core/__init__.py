"""Pure rules of data sharing: requests and their life cycle, working days, deadlines, grants, figures."""
