"""Data sharing under the 政务数据共享条例: requests, grants, deadlines, catalogue export."""
