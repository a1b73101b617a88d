"""Staff review: unanswered questions and 没帮助 feedback, interpretation drafts, exports."""
