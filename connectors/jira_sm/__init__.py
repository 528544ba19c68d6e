"""Jira Service Management ticket sink: customer requests with sub-tasks, found again by JQL."""
