"""spoke.app"""
